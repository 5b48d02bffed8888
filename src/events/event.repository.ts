import { sql } from 'kysely';
import type { Db, Trx } from '../db/database';
import { runStatement, statement } from '../db/statement';
import type { Channel, PaymentEvent, Status } from './event';
import type { EventRow } from './event.table';

const EVENT_COLUMNS = [
  'id', 'created_at', 'source_id', 'channel', 'reference', 'status', 'provider_reference', 'provider_status', 'amount_value',
  'amount_currency', 'occurred_at', 'received_at', 'stale', 'reversal', 'details', 'inbound_id', 'transaction_seq',
] as const satisfies readonly (keyof EventRow)[];

const INSERT_EVENT = statement(`
  insert into events (${EVENT_COLUMNS.join(', ')}) values (${EVENT_COLUMNS.map(() => '?').join(', ')})
  on conflict (source_id, channel, reference, status) do nothing
  returning id`);

const FIND_BY_REPORT = statement('select id from events where source_id = ? and channel = ? and reference = ? and status = ?');

/** Inserts the event unless the same report is already stored; answers whether it was inserted. */
export async function insertUnlessDuplicate(trx: Trx, row: EventRow): Promise<boolean> {
  const inserted = await runStatement(trx, INSERT_EVENT, EVENT_COLUMNS.map((column) => row[column]));
  return inserted.length > 0;
}

/** The event already made from this report, if any. */
export async function findIdByReport(
  trx: Trx,
  key: { sourceId: string; channel: Channel; reference: string; status: Status },
): Promise<string | undefined> {
  const rows = await runStatement<{ id: string }>(trx, FIND_BY_REPORT, [key.sourceId, key.channel, key.reference, key.status]);
  return rows[0]?.id;
}

export interface EventFilter {
  readonly source?: string;
  readonly channel?: string;
  readonly reference?: string;
  readonly status?: string;
  /** Inclusive lower bound on createdAt (ISO-8601 UTC). */
  readonly since?: string;
  /** Exclusive upper bound on createdAt. */
  readonly until?: string;
}

export interface PageCursor {
  readonly at: string;
  readonly id: string;
}

/**
 * Newest first (or oldest first); `after` continues past the last item of the previous page.
 */
export async function listEvents(
  db: Db,
  filter: EventFilter,
  limit: number,
  after?: PageCursor,
  order: 'newest' | 'oldest' = 'newest',
): Promise<EventRow[]> {
  // A reference names one transaction's few events, but SQLite, having no statistics, counts every
  // `=` as equally selective and may search the (source, status) or (status) index instead, walking
  // all of a status's events. With a reference, the other columns are compared as `column || ''`,
  // which no index serves, so on either engine the search goes by reference.
  const byReference = filter.reference !== undefined;
  const column = (name: 'source_id' | 'channel' | 'status') => (byReference ? sql<string>`${sql.ref(name)} || ''` : sql.ref<string>(name));
  // The cursor bounds the same end of the time range as `until` (newest first) or `since` (oldest
  // first). SQLite seeks by one bound at each end and may take the looser, so every page would walk
  // the pages before it: only the tighter of the two is written, and it implies the other.
  const newest = order === 'newest';
  let { since, until } = filter;
  let cursor = after;
  if (cursor && newest && until !== undefined) {
    if (cursor.at < until) until = undefined;
    else cursor = undefined;
  }
  if (cursor && !newest && since !== undefined) {
    if (cursor.at >= since) since = undefined;
    else cursor = undefined;
  }

  let query = db.selectFrom('events').selectAll();
  if (filter.source !== undefined) query = query.where(column('source_id'), '=', filter.source);
  if (filter.channel !== undefined) query = query.where(column('channel'), '=', filter.channel);
  if (filter.reference !== undefined) query = query.where('reference', '=', filter.reference);
  if (filter.status !== undefined) query = query.where(column('status'), '=', filter.status);
  if (since !== undefined) query = query.where('created_at', '>=', since);
  if (until !== undefined) query = query.where('created_at', '<', until);
  // One row-value comparison, which both engines seek to in an index ending (…, created_at, id).
  if (cursor) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), newest ? '<' : '>', eb.tuple(cursor.at, cursor.id)));
  const direction = newest ? 'desc' : 'asc';
  return query.orderBy('created_at', direction).orderBy('id', direction).limit(limit).execute();
}

/** The events with these ids, by id; ids with no event are absent. */
export async function findEvents(db: Db, ids: readonly string[]): Promise<Map<string, EventRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('events').selectAll().where('id', 'in', [...ids]).execute();
  return new Map(rows.map((row) => [row.id, row]));
}

export async function findEvent(db: Db, id: string): Promise<EventRow | undefined> {
  return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A transaction's history, oldest first. */
export async function listTransactionEvents(db: Db, sourceId: string, reference: string): Promise<EventRow[]> {
  return db
    .selectFrom('events')
    .selectAll()
    .where('source_id', '=', sourceId)
    .where('reference', '=', reference)
    .orderBy('transaction_seq', 'asc')
    .execute();
}

export function toPaymentEvent(row: EventRow): PaymentEvent {
  const amount =
    row.amount_value !== null && row.amount_currency !== null
      ? { value: row.amount_value, currency: row.amount_currency }
      : null;
  return {
    id: row.id,
    type: 'payment.status',
    createdAt: row.created_at,
    data: {
      source: row.source_id,
      channel: row.channel as Channel,
      reference: row.reference,
      providerReference: row.provider_reference,
      status: row.status as Status,
      providerStatus: row.provider_status,
      amount,
      occurredAt: row.occurred_at,
      receivedAt: row.received_at,
      ...(row.stale === 1 ? { stale: true as const } : {}),
      ...(row.reversal === 1 ? { reversal: true as const } : {}),
      details: JSON.parse(row.details) as Record<string, unknown>,
    },
  };
}
