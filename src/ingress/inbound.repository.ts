import type { Db, Trx } from '../db/database';
import type { PageCursor } from '../events/event.repository';
import type { InboundOutcome, InboundRecordRow, NewInboundRecordRow } from './inbound.table';

export async function insertInbound(db: Db | Trx, row: NewInboundRecordRow): Promise<void> {
  await db.insertInto('inbound_records').values(row).execute();
}

export async function setOutcome(trx: Trx, id: string, outcome: InboundOutcome, reason: string | null): Promise<void> {
  await trx.updateTable('inbound_records').set({ outcome, reason }).where('id', '=', id).execute();
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
  let query = db.selectFrom('inbound_records').selectAll();
  if (filter.source !== undefined) query = query.where('source_id', '=', filter.source);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome as InboundOutcome);
  if (filter.since !== undefined) query = query.where('received_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('received_at', '<', filter.until);
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('received_at', '<', after.at), eb.and([eb('received_at', '=', after.at), eb('id', '<', after.id)])]),
    );
  }
  return query.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
