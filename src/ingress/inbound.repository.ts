import type { Db, Trx } from '../db/database';
import type { PageCursor } from '../events/event.repository';
import { runStatement, statement } from '../db/statement';
import type { InboundOutcome, InboundRecordRow } from './inbound.table';

const INBOUND_COLUMNS = [
  'id', 'request_id', 'received_at', 'source_id', 'channel', 'client_ip', 'method', 'url', 'headers', 'body', 'outcome',
  'reason', 'response_status', 'response_body', 'signature_form', 'signature_path',
] as const satisfies readonly (keyof InboundRecordRow)[];

const INSERT_INBOUND = statement(
  `insert into inbound_records (${INBOUND_COLUMNS.join(', ')}) values (${INBOUND_COLUMNS.map(() => '?').join(', ')})`,
);

const SET_OUTCOME = statement('update inbound_records set outcome = ?, reason = ? where id = ?');

export async function insertInbound(db: Db | Trx, row: InboundRecordRow): Promise<void> {
  await runStatement(db, INSERT_INBOUND, INBOUND_COLUMNS.map((column) => row[column]));
}

export async function setOutcome(trx: Trx, id: string, outcome: InboundOutcome, reason: string | null): Promise<void> {
  await runStatement(trx, SET_OUTCOME, [outcome, reason, id]);
}

export async function findInbound(db: Db, id: string): Promise<InboundRecordRow | undefined> {
  return db.selectFrom('inbound_records').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface InboundFilter {
  readonly source?: string;
  readonly outcome?: string;
  readonly since?: string;
  readonly until?: string;
}

/** Newest first, like the events list. */
export async function listInbound(
  db: Db,
  filter: InboundFilter,
  limit: number,
  after?: PageCursor,
): Promise<InboundRecordRow[]> {
  // As in listEvents: of the cursor and `until`, which bound the same end, only the tighter is written.
  let { until } = filter;
  let cursor = after;
  if (cursor && until !== undefined) {
    if (cursor.at < until) until = undefined;
    else cursor = undefined;
  }
  let query = db.selectFrom('inbound_records').selectAll();
  if (filter.source !== undefined) query = query.where('source_id', '=', filter.source);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome as InboundOutcome);
  if (filter.since !== undefined) query = query.where('received_at', '>=', filter.since);
  if (until !== undefined) query = query.where('received_at', '<', until);
  if (cursor) query = query.where((eb) => eb(eb.refTuple('received_at', 'id'), '<', eb.tuple(cursor.at, cursor.id)));
  return query.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export interface SourceActivity {
  readonly lastReceivedAt: string | null;
  /** Requests since the given time, by outcome. */
  readonly counts: Readonly<Record<InboundOutcome, number>>;
}

/**
 * When a source (null: callers naming no known source) last called, and its requests since
 * `since` by outcome: each an index range on (source, outcome, time) or (source, time), so the
 * cost follows the hour's requests of that source, not the table.
 */
export async function sourceActivity(db: Db, sourceId: string | null, since: string): Promise<SourceActivity> {
  // The newest first, one row: a seek to the end of the source's range in either engine.
  const last = await db
    .selectFrom('inbound_records')
    .select('received_at')
    .where('source_id', sourceId === null ? 'is' : '=', sourceId)
    .orderBy('received_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const rows = await db
    .selectFrom('inbound_records')
    .select((eb) => ['outcome', eb.fn.countAll().as('n')])
    .where('source_id', sourceId === null ? 'is' : '=', sourceId)
    .where('outcome', 'in', ['accepted', 'duplicate', 'rejected'])
    .where('received_at', '>=', since)
    .groupBy('outcome')
    .execute();
  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const row of rows) counts[row.outcome] = Number(row.n);
  return { lastReceivedAt: last?.received_at ?? null, counts };
}
