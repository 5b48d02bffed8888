import type { Db, Trx } from '../db/database';
import { runStatement, statement } from '../db/statement';
import type { Status } from './event';
import type { TransactionRow } from './transaction.table';

export interface TransactionPosition {
  /** Status before this report (the report's own status when the transaction is new). */
  readonly status: Status;
  /** How many events the transaction has, this one included. */
  readonly eventCount: number;
}

const COUNT_EVENT = statement(`
  insert into transactions (source_id, reference, channel, status, status_event_id, event_count, created_at, updated_at)
  values (?, ?, ?, ?, ?, 1, ?, ?)
  on conflict (source_id, reference) do update set event_count = transactions.event_count + 1, updated_at = excluded.updated_at
  returning status, event_count`);

const SET_STATUS = statement('update transactions set status = ?, status_event_id = ? where source_id = ? and reference = ?');

/**
 * Counts a new event against its transaction, creating the transaction on its first event.
 * The upsert also takes the row lock (PostgreSQL), so concurrent reports of one transaction
 * are applied one after the other.
 */
export async function countEvent(
  trx: Trx,
  event: { sourceId: string; reference: string; channel: string; status: Status; eventId: string; at: string },
): Promise<TransactionPosition> {
  const rows = await runStatement<{ status: string; event_count: number | string }>(trx, COUNT_EVENT, [
    event.sourceId,
    event.reference,
    event.channel,
    event.status,
    event.eventId,
    event.at,
    event.at,
  ]);
  const row = rows[0];
  if (!row) throw new Error('the transaction upsert returned no row');
  return { status: row.status as Status, eventCount: Number(row.event_count) };
}

export async function setStatus(
  trx: Trx,
  key: { sourceId: string; reference: string },
  status: Status,
  eventId: string,
): Promise<void> {
  await runStatement(trx, SET_STATUS, [status, eventId, key.sourceId, key.reference]);
}

export async function findTransaction(db: Db, sourceId: string, reference: string): Promise<TransactionRow | undefined> {
  return db
    .selectFrom('transactions')
    .selectAll()
    .where('source_id', '=', sourceId)
    .where('reference', '=', reference)
    .executeTakeFirst();
}
