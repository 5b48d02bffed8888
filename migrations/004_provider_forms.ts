import { type Kysely, sql } from 'kysely';

// Real providers' signatures, reversals and idempotency per service. Same conventions as 001_initial.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  // Which form of the body (raw, minified, reserialized) and which path the provider's signature
  // matched: operators need it when a provider's SDK changes how it writes JSON.
  await db.schema.alterTable('inbound_records').addColumn('signature_form', 'text').execute();
  await db.schema.alterTable('inbound_records').addColumn('signature_path', 'text').execute();

  // 1 when the event moved a SUCCESS transaction to FAILED or CANCELED: money must go back.
  await db.schema
    .alterTable('events')
    .addColumn('reversal', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // X-EXTERNAL-ID is unique per (source, service, Jakarta day), not per (source, day): one id may
  // be used once on each notify route. The key changes, so the table is rebuilt (SQLite cannot
  // alter a primary key).
  await db.schema.alterTable('snap_requests').renameTo('snap_requests_003').execute();
  await db.schema
    .createTable('snap_requests')
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('jakarta_day', 'text', (c) => c.notNull())
    .addColumn('body_hash', 'text', (c) => c.notNull())
    .addColumn('inbound_id', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('snap_requests_service_pk', ['source_id', 'channel', 'external_id', 'jakarta_day'])
    .execute();
  await sql`
    insert into snap_requests
      (source_id, channel, external_id, jakarta_day, body_hash, inbound_id, response_status, response_body, created_at)
    select source_id, channel, external_id, jakarta_day, body_hash, inbound_id, response_status, response_body, created_at
    from snap_requests_003`.execute(db);
  await db.schema.dropTable('snap_requests_003').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  // Going back to one id per (source, day): of several uses on one day, the first one stays.
  await db.schema.alterTable('snap_requests').renameTo('snap_requests_004').execute();
  await db.schema
    .createTable('snap_requests')
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('jakarta_day', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('body_hash', 'text', (c) => c.notNull())
    .addColumn('inbound_id', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('snap_requests_pk', ['source_id', 'external_id', 'jakarta_day'])
    .execute();
  await sql`
    insert into snap_requests
      (source_id, external_id, jakarta_day, channel, body_hash, inbound_id, response_status, response_body, created_at)
    select source_id, external_id, jakarta_day, channel, body_hash, inbound_id, response_status, response_body, created_at
    from snap_requests_004 s
    where not exists (
      select 1 from snap_requests_004 e
      where e.source_id = s.source_id and e.external_id = s.external_id and e.jakarta_day = s.jakarta_day
        and (e.created_at < s.created_at or (e.created_at = s.created_at and e.channel < s.channel)))`.execute(db);
  await db.schema.dropTable('snap_requests_004').execute();
  await db.schema.alterTable('events').dropColumn('reversal').execute();
  await db.schema.alterTable('inbound_records').dropColumn('signature_path').execute();
  await db.schema.alterTable('inbound_records').dropColumn('signature_form').execute();
}
