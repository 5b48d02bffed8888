import { type Clock, newId } from '../clock';
import type { Subscriber } from '../config/config';
import * as deliveryRepository from '../delivery/delivery.repository';
import { deliveriesFor } from '../delivery/outbox';
import type { Trx } from '../db/database';
import type { Status, StatusReport } from './event';
import * as eventRepository from './event.repository';
import { applyReport } from './transaction-state';
import * as transactionRepository from './transaction.repository';

/** What turning reports into events needs besides the transaction. */
export interface IngestContext {
  readonly clock: Clock;
  readonly subscribers: readonly Subscriber[];
}

export type ReportOutcome =
  | {
      readonly created: true;
      readonly eventId: string;
      /** The status a reversal took the transaction away from; null when the event is no reversal. */
      readonly reversedFrom: Status | null;
    }
  | { readonly created: false; readonly duplicateOf: string };

/**
 * Turns one report into a canonical event, moves its transaction and queues a delivery for each
 * subscriber that wants it, all inside the caller's transaction. The transaction row is counted
 * first so the event is written once, with its final position; the database's unique constraint
 * still decides what is a duplicate, so two processes racing on the same report make one event.
 */
export async function recordReport(
  trx: Trx,
  ingest: IngestContext,
  report: StatusReport,
  context: { inboundId: string | null; receivedAt: string },
): Promise<ReportOutcome> {
  const { clock } = ingest;
  const reportKey = { sourceId: report.source, channel: report.channel, reference: report.reference, status: report.status };
  const seen = await eventRepository.findIdByReport(trx, reportKey);
  if (seen !== undefined) return { created: false, duplicateOf: seen };

  const eventId = newId('evt', clock);
  const createdAt = clock.now().toISOString();
  const key = { sourceId: report.source, reference: report.reference };
  const position = await transactionRepository.countEvent(trx, { ...key, channel: report.channel, status: report.status, eventId, at: createdAt });
  const move = position.eventCount === 1 ? 'same' : applyReport(position.status, report.status);
  if (move === 'advance' || move === 'reversal') await transactionRepository.setStatus(trx, key, report.status, eventId);
  const inserted = await eventRepository.insertUnlessDuplicate(trx, {
    id: eventId,
    created_at: createdAt,
    source_id: report.source,
    channel: report.channel,
    reference: report.reference,
    status: report.status,
    provider_reference: report.providerReference,
    provider_status: report.providerStatus,
    amount_value: report.amount?.value ?? null,
    amount_currency: report.amount?.currency ?? null,
    occurred_at: report.occurredAt,
    received_at: context.receivedAt,
    stale: move === 'stale' ? 1 : 0,
    reversal: move === 'reversal' ? 1 : 0,
    details: JSON.stringify(report.details),
    inbound_id: context.inboundId,
    transaction_seq: position.eventCount,
  });
  // Another process stored the same report between our look and our insert (PostgreSQL only:
  // SQLite has one writer). The transaction count above is wrong now; undo it all and run again.
  if (!inserted) throw new ConcurrentReport();
  // Stale events are forwarded too: subscribers decide what a late report means to them.
  await deliveryRepository.insertDeliveries(
    trx,
    deliveriesFor({ id: eventId, ...report, seq: position.eventCount }, ingest.subscribers, clock),
  );
  return { created: true, eventId, reversedFrom: move === 'reversal' ? position.status : null };
}

/**
 * Lost a race on one report to another process. Carries PostgreSQL's serialization_failure code,
 * so the group committer runs the unit again, and the second run finds the report stored.
 */
export class ConcurrentReport extends Error {
  readonly code = '40001';

  constructor() {
    super('the same report was stored by another process at the same time');
  }
}

export interface RecordedReports {
  readonly createdEventIds: readonly string[];
  /** The reports that became new events, for counting. */
  readonly createdReports: readonly StatusReport[];
  readonly duplicateOf: readonly string[];
  /** New events that took a SUCCESS back: each one means a customer must be refunded. */
  readonly reversals: readonly { eventId: string; report: StatusReport; from: Status }[];
}

/** recordReport for each report of one request, in order. */
export async function recordReports(
  trx: Trx,
  ingest: IngestContext,
  reports: readonly StatusReport[],
  context: { inboundId: string | null; receivedAt: string },
): Promise<RecordedReports> {
  const createdEventIds: string[] = [];
  const createdReports: StatusReport[] = [];
  const duplicateOf: string[] = [];
  const reversals: { eventId: string; report: StatusReport; from: Status }[] = [];
  for (const report of reports) {
    const outcome = await recordReport(trx, ingest, report, context);
    if (outcome.created) {
      createdEventIds.push(outcome.eventId);
      createdReports.push(report);
      if (outcome.reversedFrom !== null) reversals.push({ eventId: outcome.eventId, report, from: outcome.reversedFrom });
    } else {
      duplicateOf.push(outcome.duplicateOf);
    }
  }
  return { createdEventIds, createdReports, duplicateOf, reversals };
}
