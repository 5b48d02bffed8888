import type { Kysely } from 'kysely';

// Which inbound records reported an event again: a provider's retry of a callback already
// stored (a duplicate report), or a SNAP request repeated with the same X-EXTERNAL-ID and body.
// The first report is the event's own inbound_id; these are the ones after it, so a
// transaction's timeline can show every report that came in. Same conventions as 001_initial.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('event_repeats')
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('inbound_id', 'text', (c) => c.notNull())
    // The repeat's receive time, so retention removes the link with the inbound record.
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('event_repeats_pk', ['event_id', 'inbound_id'])
    .execute();
  await db.schema.createIndex('event_repeats_received').on('event_repeats').column('received_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('event_repeats').execute();
}
