import type { Kysely } from 'kysely';

// Workers claim due deliveries one subscriber at a time, so a hanging subscriber's backlog does
// not hold the workers another needs. That query asks for (subscriber, pending, due by now) in
// (due time, id) order; without this index it would walk every due delivery of every subscriber
// to find one subscriber's, and sort them. Same conventions as 001_initial.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('deliveries_subscriber_due')
    .on('deliveries')
    .columns(['subscriber_id', 'state', 'next_attempt_at', 'id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('deliveries_subscriber_due').execute();
}
