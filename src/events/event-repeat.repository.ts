import { sql } from 'kysely';
import type { Db, Trx } from '../db/database';
import type { InboundRecordRow } from '../ingress/inbound.table';

/** Notes that the inbound record `inboundId` reported these events again. */
export async function recordRepeats(trx: Trx, eventIds: readonly string[], inboundId: string, receivedAt: string): Promise<void> {
  if (eventIds.length === 0) return;
  await trx
    .insertInto('event_repeats')
    .values([...new Set(eventIds)].map((eventId) => ({ event_id: eventId, inbound_id: inboundId, received_at: receivedAt })))
    .onConflict((oc) => oc.columns(['event_id', 'inbound_id']).doNothing())
    .execute();
}

/** A request repeated whole (SNAP: same X-EXTERNAL-ID and body): it reported again every event the first one made. */
export async function recordRepeatsOf(trx: Trx, firstInboundId: string, inboundId: string, receivedAt: string): Promise<void> {
  await sql`
    insert into event_repeats (event_id, inbound_id, received_at)
    select id, ${inboundId}, ${receivedAt} from events where inbound_id = ${firstInboundId}
    on conflict do nothing`.execute(trx);
}

/** The inbound records that reported these events again, oldest first, with the event each repeated. */
export async function listRepeats(db: Db, eventIds: readonly string[]): Promise<(InboundRecordRow & { event_id: string })[]> {
  if (eventIds.length === 0) return [];
  return db
    .selectFrom('event_repeats as r')
    .innerJoin('inbound_records as i', 'i.id', 'r.inbound_id')
    .selectAll('i')
    .select('r.event_id')
    .where('r.event_id', 'in', [...eventIds])
    .orderBy('i.received_at')
    .orderBy('i.id')
    .execute();
}
