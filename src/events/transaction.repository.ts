import type { Db, Trx } from '../db/database';
import type { Status } from './event';
import type { TransactionRow } from './transaction.table';

export interface TransactionPosition {
  /** Status before this report (the report's own status when the transaction is new). */
  readonly status: Status;
  /** How many events the transaction has, this one included. */
  readonly eventCount: number;
}

/**
 * Counts a new event against its transaction, creating the transaction on its first event.
 * The upsert also takes the row lock (PostgreSQL), so concurrent reports of one transaction
 * are applied one after the other.
 */
export async function countEvent(
  trx: Trx,
  event: { sourceId: string; reference: string; channel: string; status: Status; eventId: string; at: string },
): Promise<TransactionPosition> {
  const row = await trx
    .insertInto('transactions')
    .values({
      source_id: event.sourceId,
      reference: event.reference,
      channel: event.channel,
      status: event.status,
      status_event_id: event.eventId,
      event_count: 1,
      created_at: event.at,
      updated_at: event.at,
    })
    .onConflict((oc) =>
      oc.columns(['source_id', 'reference']).doUpdateSet((eb) => ({
        event_count: eb('transactions.event_count', '+', 1),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning(['status', 'event_count'])
    .executeTakeFirstOrThrow();
  return { status: row.status as Status, eventCount: row.event_count };
}

export async function setStatus(
  trx: Trx,
  key: { sourceId: string; reference: string },
  status: Status,
  eventId: string,
): Promise<void> {
  await trx
    .updateTable('transactions')
    .set({ status, status_event_id: eventId })
    .where('source_id', '=', key.sourceId)
    .where('reference', '=', key.reference)
    .execute();
}

export async function findTransaction(db: Db, sourceId: string, reference: string): Promise<TransactionRow | undefined> {
  return db
    .selectFrom('transactions')
    .selectAll()
    .where('source_id', '=', sourceId)
    .where('reference', '=', reference)
    .executeTakeFirst();
}
