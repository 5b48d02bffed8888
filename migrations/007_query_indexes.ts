import type { Kysely } from 'kysely';

// Indexes so the admin lists and the outbox claim cost the same at a million rows as at ten
// thousand. A list filters by equality and pages in (time, id) order from a cursor: an index on
// (filter columns, time, id) finds a page's rows already in order and stops after `limit`. Without
// one the engine sorts every matching row (SQLite's "temp B-tree"), or walks the time index
// checking each row, which for a rare value (a small source's failures) is the whole table.
//
// Each index is one more B-tree write per row on the ingest path (10–15 µs a row on SQLite), so
// there is one per filter, and one per pair of filters only where walking the index of one and
// checking the other on each row grows with the table: a small source's statuses, a source's
// refused requests. A channel (three of them, each a large share of the events), or a subscriber
// next to a state, is checked on the rows found. test/query-plans.test.ts holds every combination
// of filters to its index. Same conventions as 001_initial.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  // A pair's index is created before the single columns' ones: with both ends of the time range
  // bounded, SQLite rates (source, status, …) and (status, …) alike and takes the one created first.
  // events ?source=&status= (and with ?channel=).
  await db.schema
    .createIndex('events_source_status_created_at')
    .on('events')
    .columns(['source_id', 'status', 'created_at', 'id'])
    .execute();
  // events ?source= (with ?channel=, the channel is checked on each of the source's events).
  await db.schema.createIndex('events_source_created_at').on('events').columns(['source_id', 'created_at', 'id']).execute();
  // events ?status= (with ?channel=, the channel is checked on each of the status's events).
  await db.schema.createIndex('events_status_created_at').on('events').columns(['status', 'created_at', 'id']).execute();
  // events ?reference= with anything else: a reference is one transaction's few events, and
  // listEvents keeps the other filters off the other indexes when one is given.
  await db.schema.createIndex('events_reference_created_at').on('events').columns(['reference', 'created_at', 'id']).execute();
  // events ?channel= alone walks events_created_at and checks the channel.

  // inbound ?source=&outcome=: one source's refused requests, among everyone's. Created first, as
  // the events' pair.
  await db.schema
    .createIndex('inbound_records_source_outcome_received_at')
    .on('inbound_records')
    .columns(['source_id', 'outcome', 'received_at', 'id'])
    .execute();
  // inbound ?source=: with the id, the index holds the list's whole order (the old one left each
  // instant's records to be sorted by id); it serves whatever (source_id, received_at) did.
  await db.schema.dropIndex('inbound_records_source_received_at').execute();
  await db.schema
    .createIndex('inbound_records_source_received_at')
    .on('inbound_records')
    .columns(['source_id', 'received_at', 'id'])
    .execute();
  // inbound ?outcome=
  await db.schema
    .createIndex('inbound_records_outcome_received_at')
    .on('inbound_records')
    .columns(['outcome', 'received_at', 'id'])
    .execute();

  // The claim of unknown subscribers' deliveries and the next-due timer read pending deliveries in
  // (due time, id) order: with the id, a backlog that fell due at one instant is read in order
  // instead of sorted whole on every claim. It serves whatever (state, next_attempt_at) did.
  await db.schema.dropIndex('deliveries_due').execute();
  await db.schema.createIndex('deliveries_due').on('deliveries').columns(['state', 'next_attempt_at', 'id']).execute();
  // deliveries, unfiltered.
  await db.schema.createIndex('deliveries_created_at').on('deliveries').columns(['created_at', 'id']).execute();
  // deliveries ?state= (with ?subscriber=, the subscriber is checked on each delivery of the state),
  // and the pending backlog's size and age for the metrics.
  await db.schema.createIndex('deliveries_state_created_at').on('deliveries').columns(['state', 'created_at', 'id']).execute();
  // deliveries ?subscriber=
  await db.schema
    .createIndex('deliveries_subscriber_created_at')
    .on('deliveries')
    .columns(['subscriber_id', 'created_at', 'id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const name of [
    'deliveries_subscriber_created_at',
    'deliveries_state_created_at',
    'deliveries_created_at',
    'deliveries_due',
    'inbound_records_source_outcome_received_at',
    'inbound_records_outcome_received_at',
    'inbound_records_source_received_at',
    'events_reference_created_at',
    'events_status_created_at',
    'events_source_status_created_at',
    'events_source_created_at',
  ]) {
    await db.schema.dropIndex(name).execute();
  }
  await db.schema.createIndex('deliveries_due').on('deliveries').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('inbound_records_source_received_at').on('inbound_records').columns(['source_id', 'received_at']).execute();
}
