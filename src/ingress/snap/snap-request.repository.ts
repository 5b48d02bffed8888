import type { Trx } from '../../db/database';
import type { NewSnapRequestRow, SnapRequestRow } from './snap-request.table';

/**
 * Claims the (source, X-EXTERNAL-ID, day) for this request. The primary key decides, so two
 * processes racing on one X-EXTERNAL-ID cannot both win. Answers false when it was taken.
 */
export async function claim(trx: Trx, row: NewSnapRequestRow): Promise<boolean> {
  const inserted = await trx
    .insertInto('snap_requests')
    .values(row)
    .onConflict((oc) => oc.columns(['source_id', 'external_id', 'jakarta_day']).doNothing())
    .returning('source_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function find(
  trx: Trx,
  key: { sourceId: string; externalId: string; jakartaDay: string },
): Promise<SnapRequestRow> {
  return trx
    .selectFrom('snap_requests')
    .selectAll()
    .where('source_id', '=', key.sourceId)
    .where('external_id', '=', key.externalId)
    .where('jakarta_day', '=', key.jakartaDay)
    .executeTakeFirstOrThrow();
}
