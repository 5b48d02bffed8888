import type { Logger } from 'pino';
import type { InboundOutcomeLabel, Metrics } from '../admin/metrics';
import type { StoreResult } from './inbound.service';
import { Rejection } from './rejection';

/** Counts an accepted request: its outcome, the events it made, its reversals, and how long storing took. */
export function countStored(
  metrics: Metrics,
  log: Logger,
  sourceId: string,
  channel: string,
  result: StoreResult,
  seconds: number,
): void {
  const outcome = result.createdEventIds.length === 0 && result.duplicateOf.length > 0 ? 'duplicate' : 'accepted';
  metrics.inboundRequest(sourceId, channel, outcome);
  metrics.ingested(channel, seconds);
  for (const report of result.createdReports) metrics.eventCreated(report.channel, report.status);
  countReversals(metrics, log, result.reversals);
}

/**
 * Counts each reversal and logs it at warn level, because nothing else tells a person that a
 * customer must be refunded. Used wherever reports are recorded: a request, or re-processing one.
 */
export function countReversals(metrics: Metrics, log: Logger, reversals: StoreResult['reversals']): void {
  for (const { eventId, report, from } of reversals) {
    metrics.reversal(report.source, report.channel, report.status);
    log.warn(
      { eventId, source: report.source, reference: report.reference, from, to: report.status },
      'reversal: a transaction reported SUCCESS is now FAILED/CANCELED; the customer must be refunded',
    );
  }
}

/** The label for a refusal: its class, never its message. */
export function rejectionLabel(error: unknown): InboundOutcomeLabel {
  if (!(error instanceof Rejection)) return 'error';
  if ((error as { snapCase?: string }).snapCase === 'conflict') return 'rejected_conflict';
  return `rejected_${error.kind}`;
}
