import { type BulkCashinNotify, bulkCashinSuccess, checkBulkSize, toBulkCashinReports, validateBulkCashinNotify } from './bulk-cashin';
import type { SnapSource } from '../../config/config';
import type { StatusReport } from '../../events/event';
import type { NotifySpec } from './notify.route';
import { type QrCpmNotify, checkReference, toQrCpmReports, validateQrCpmNotify } from './qr-cpm';
import { validateBody } from './snap-schema';

// What each SNAP notify route reads and answers; the routes and re-processing share them.

export const BULK_CASHIN: NotifySpec<BulkCashinNotify> = {
  path: '/v1.0/emoney/bulk-cashin-notify',
  service: '41',
  channel: 'snap.bulk-cashin',
  validate: validateBulkCashinNotify,
  check: checkBulkSize,
  toReports: toBulkCashinReports,
  successFields: bulkCashinSuccess,
};

export const QR_CPM: NotifySpec<QrCpmNotify> = {
  path: '/v1.0/qr/qr-cpm-notify',
  service: '79',
  channel: 'snap.qr-cpm',
  validate: validateQrCpmNotify,
  check: checkReference,
  toReports: toQrCpmReports,
};

/** Schema, extra checks, then one report per transaction; throws a SnapRejection on bad input. */
export function reportsFrom<B>(spec: NotifySpec<B>, parsed: unknown, source: SnapSource): { body: B; reports: StatusReport[] } {
  const body = validateBody(spec.validate, parsed);
  spec.check?.(body, source);
  return { body, reports: spec.toReports(body, source) };
}

/** Re-derives the reports of a stored notify body of `channel` (re-processing). */
export function reportsFromStored(channel: string, parsed: unknown, source: SnapSource): StatusReport[] | null {
  if (channel === BULK_CASHIN.channel) return reportsFrom(BULK_CASHIN, parsed, source).reports;
  if (channel === QR_CPM.channel) return reportsFrom(QR_CPM, parsed, source).reports;
  return null;
}
