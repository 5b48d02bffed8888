import type { Trx } from '../../db/database';
import { runStatement, statement } from '../../db/statement';
import type { SnapRequestRow } from './snap-request.table';

const CLAIM_COLUMNS = [
  'source_id', 'channel', 'external_id', 'jakarta_day', 'body_hash', 'inbound_id', 'response_status', 'response_body', 'created_at',
] as const satisfies readonly (keyof SnapRequestRow)[];

const CLAIM = statement(`
  insert into snap_requests (${CLAIM_COLUMNS.join(', ')}) values (${CLAIM_COLUMNS.map(() => '?').join(', ')})
  on conflict (source_id, channel, external_id, jakarta_day) do nothing
  returning source_id`);

const FIND = statement('select * from snap_requests where source_id = ? and channel = ? and external_id = ? and jakarta_day = ?');

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
export async function claim(trx: Trx, row: SnapRequestRow): Promise<boolean> {
  const inserted = await runStatement(trx, CLAIM, CLAIM_COLUMNS.map((column) => row[column]));
  return inserted.length > 0;
}

export async function find(trx: Trx, key: SnapRequestKey): Promise<SnapRequestRow> {
  const rows = await runStatement<SnapRequestRow>(trx, FIND, [key.sourceId, key.channel, key.externalId, key.jakartaDay]);
  const row = rows[0];
  if (!row) throw new Error('no SNAP request under this key');
  return { ...row, response_status: Number(row.response_status) };
}
