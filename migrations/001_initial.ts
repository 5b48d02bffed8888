import type { Kysely } from 'kysely';

// Migrations are frozen in time: they never import application types and run unchanged on
// SQLite and PostgreSQL. Times are ISO-8601 UTC text (fixed width, so text order is time order),
// JSON is text, flags are 0/1 integers: the same on both engines.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbound_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('body', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('response_status', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inbound_records_received_at').on('inbound_records').columns(['received_at', 'id']).execute();
  await db.schema
    .createIndex('inbound_records_source_received_at')
    .on('inbound_records')
    .columns(['source_id', 'received_at'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_reference', 'text')
    .addColumn('provider_status', 'text', (c) => c.notNull())
    .addColumn('amount_value', 'text')
    .addColumn('amount_currency', 'text')
    .addColumn('occurred_at', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('stale', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('details', 'text', (c) => c.notNull())
    // Raw inbound records are pruned after a retention period; their events are kept.
    .addColumn('inbound_id', 'text', (c) => c.references('inbound_records.id').onDelete('set null'))
    .addColumn('transaction_seq', 'integer', (c) => c.notNull())
    // A report already seen for the same (source, channel, reference, status) is a duplicate.
    .addUniqueConstraint('events_report_unique', ['source_id', 'channel', 'reference', 'status'])
    .execute();
  await db.schema.createIndex('events_created_at').on('events').columns(['created_at', 'id']).execute();
  await db.schema
    .createIndex('events_transaction')
    .on('events')
    .columns(['source_id', 'reference', 'transaction_seq'])
    .execute();
  await db.schema.createIndex('events_inbound').on('events').column('inbound_id').execute();

  await db.schema
    .createTable('transactions')
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_event_id', 'text', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('transactions_pk', ['source_id', 'reference'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('transactions').execute();
  await db.schema.dropTable('events').execute();
  await db.schema.dropTable('inbound_records').execute();
}
