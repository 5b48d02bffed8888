import type { Kysely } from 'kysely';

// Watches on pull-only providers (CONTRACT 7): one row per (source, invoice) someone asked the
// receiver to follow, claimed for each poll with a lease like deliveries, and one row per poll
// made, pointing at the inbound record that keeps the request and the answer. Same conventions
// as 001_initial.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('watches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('invoice', 'text', (c) => c.notNull())
    .addColumn('customer_number', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'text', (c) => c.notNull())
    .addColumn('next_poll_at', 'text', (c) => c.notNull())
    .addColumn('poll_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_polled_at', 'text')
    .addColumn('last_outcome', 'text')
    .addColumn('last_answer', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addUniqueConstraint('watches_source_invoice', ['source_id', 'invoice'])
    .execute();
  // The pollers' claim: active watches of one source whose time has come, soonest first.
  await db.schema.createIndex('watches_due').on('watches').columns(['source_id', 'state', 'next_poll_at', 'id']).execute();
  // The admin list, newest first, with or without a state.
  await db.schema.createIndex('watches_state_created').on('watches').columns(['state', 'created_at', 'id']).execute();
  await db.schema.createIndex('watches_created').on('watches').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('watch_polls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('watch_id', 'text', (c) => c.notNull().references('watches.id'))
    .addColumn('poll', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('status_code', 'integer')
    .addColumn('inbound_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('watch_polls_watch').on('watch_polls').columns(['watch_id', 'poll']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('watch_polls').execute();
  await db.schema.dropTable('watches').execute();
}
