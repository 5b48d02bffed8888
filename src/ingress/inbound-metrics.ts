import type { InboundOutcomeLabel, Metrics } from '../admin/metrics';
import type { StoreResult } from './inbound.service';
import { Rejection } from './rejection';

/** Counts an accepted request: its outcome, the events it made, and how long storing took. */
export function countStored(metrics: Metrics, sourceId: string, channel: string, result: StoreResult, seconds: number): void {
  const outcome = result.createdEventIds.length === 0 && result.duplicateOf.length > 0 ? 'duplicate' : 'accepted';
  metrics.inboundRequest(sourceId, channel, outcome);
  metrics.ingested(channel, seconds);
  for (const report of result.createdReports) metrics.eventCreated(report.channel, report.status);
}

/** The label for a refusal: its class, never its message. */
export function rejectionLabel(error: unknown): InboundOutcomeLabel {
  if (!(error instanceof Rejection)) return 'error';
  if ((error as { snapCase?: string }).snapCase === 'conflict') return 'rejected_conflict';
  return `rejected_${error.kind}`;
}
