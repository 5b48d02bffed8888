import type { Trx } from '../../db/database';
import type { NewSnapRequestRow, SnapRequestRow } from './snap-request.table';

export interface SnapRequestKey {
  readonly sourceId: string;
  /** The notify route's channel: one X-EXTERNAL-ID may be used once per service. */
  readonly channel: string;
  readonly externalId: string;
  readonly jakartaDay: string;
}

/**
 * Claims the (source, service, X-EXTERNAL-ID, day) for this request. The primary key decides, so
 * two processes racing on one X-EXTERNAL-ID cannot both win. Answers false when it was taken.
 */
export async function claim(trx: Trx, row: NewSnapRequestRow): Promise<boolean> {
  const inserted = await trx
    .insertInto('snap_requests')
    .values(row)
    .onConflict((oc) => oc.columns(['source_id', 'channel', 'external_id', 'jakarta_day']).doNothing())
    .returning('source_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function find(trx: Trx, key: SnapRequestKey): Promise<SnapRequestRow> {
  return trx
    .selectFrom('snap_requests')
    .selectAll()
    .where('source_id', '=', key.sourceId)
    .where('channel', '=', key.channel)
    .where('external_id', '=', key.externalId)
    .where('jakarta_day', '=', key.jakartaDay)
    .executeTakeFirstOrThrow();
}
