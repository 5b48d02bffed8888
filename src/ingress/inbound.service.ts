import type { Trx } from '../db/database';
import type { Writes } from '../db/group-commit';
import type { StatusReport } from '../events/event';
import * as eventRepeatRepository from '../events/event-repeat.repository';
import * as eventService from '../events/event.service';
import * as inboundRepository from './inbound.repository';
import type { InboundOutcome } from './inbound.table';
import { KEPT_BODY_BYTES } from './request-limits';

/** A provider's request as it is kept: secrets already redacted. */
export interface InboundRequest {
  readonly id: string;
  readonly requestId: string;
  readonly receivedAt: string;
  readonly sourceId: string | null;
  readonly channel: string;
  readonly clientIp: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  /** For signed requests: which body form and path the signature matched (CONTRACT 3.2). */
  readonly signature?: { readonly form: string; readonly path: string } | null;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

export type StoreResult = eventService.RecordedReports;

/**
 * Stores the request, its canonical events and the transactions' new statuses in one database
 * transaction, with the answer about to be given. Only after this returns may the provider
 * hear that we have it.
 */
export async function storeAccepted(
  writes: Writes,
  ingest: eventService.IngestContext,
  request: InboundRequest,
  reports: readonly StatusReport[],
  answer: Answer,
): Promise<StoreResult> {
  return writes.run((trx) => storeAcceptedIn(trx, ingest, request, reports, answer));
}

/** storeAccepted inside a transaction the caller opened (and that may hold more writes). */
export async function storeAcceptedIn(
  trx: Trx,
  ingest: eventService.IngestContext,
  request: InboundRequest,
  reports: readonly StatusReport[],
  answer: Answer,
): Promise<StoreResult> {
  await inboundRepository.insertInbound(trx, toRow(request, 'accepted', null, answer));
  const recorded = await eventService.recordReports(trx, ingest, reports, { inboundId: request.id, receivedAt: request.receivedAt });
  const { createdEventIds, duplicateOf } = recorded;
  if (duplicateOf.length > 0) {
    // Only repeats pay for this: a new event already points at its report.
    await eventRepeatRepository.recordRepeats(trx, duplicateOf, request.id, request.receivedAt);
    if (createdEventIds.length === 0) {
      await inboundRepository.setOutcome(trx, request.id, 'duplicate', `duplicate of ${duplicateOf.join(', ')}`);
    }
  }
  return recorded;
}

/**
 * Keeps a repeat of a request already answered (the inbound record `firstInboundId`), with the
 * answer it got again, as a report of every event the first one made.
 */
export async function storeRepeatIn(trx: Trx, request: InboundRequest, firstInboundId: string, reason: string, answer: Answer): Promise<void> {
  await inboundRepository.insertInbound(trx, toRow(request, 'duplicate', reason, answer));
  await eventRepeatRepository.recordRepeatsOf(trx, firstInboundId, request.id, request.receivedAt);
}

/** Keeps a refused request and the answer it got, with at most the first 4 KiB of its body. */
export async function storeRejected(writes: Writes, request: InboundRequest, reason: string, answer: Answer): Promise<void> {
  const body = request.body === null ? null : cutToKeptLength(request.body);
  const row = toRow({ ...request, body }, 'rejected', reason, answer);
  await writes.run((trx) => inboundRepository.insertInbound(trx, row));
}

/** storeRejected inside a transaction the caller opened. */
export async function storeRejectedIn(trx: Trx, request: InboundRequest, reason: string, answer: Answer): Promise<void> {
  const body = request.body === null ? null : cutToKeptLength(request.body);
  await inboundRepository.insertInbound(trx, toRow({ ...request, body }, 'rejected', reason, answer));
}

function cutToKeptLength(body: string): string {
  if (body.length <= KEPT_BODY_BYTES / 4) return body;
  const bytes = Buffer.from(body, 'utf8');
  return bytes.length <= KEPT_BODY_BYTES ? body : bytes.subarray(0, KEPT_BODY_BYTES).toString('utf8');
}

function toRow(request: InboundRequest, outcome: InboundOutcome, reason: string | null, answer: Answer) {
  return {
    id: request.id,
    request_id: request.requestId,
    received_at: request.receivedAt,
    source_id: request.sourceId,
    channel: request.channel,
    client_ip: request.clientIp,
    method: request.method,
    url: storable(request.url),
    headers: JSON.stringify(request.headers),
    body: request.body === null ? null : storable(request.body),
    outcome,
    reason: reason === null ? null : storable(reason),
    response_status: answer.status,
    response_body: answer.body,
    signature_form: request.signature?.form ?? null,
    signature_path: request.signature?.path ?? null,
  };
}

/**
 * PostgreSQL text cannot hold U+0000, and a hostile body may carry it: the record keeps U+FFFD in
 * its place rather than failing to record the request at all.
 */
function storable(text: string): string {
  return text.includes('\u0000') ? text.replace(/\u0000/g, '\ufffd') : text;
}
