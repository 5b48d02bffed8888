import { type Clock, newId } from '../clock';
import { type Config, type MmbcSource, isMmbcSource } from '../config/config';
import type { Db } from '../db/database';
import * as watchRepository from './watch.repository';
import type { WatchPollRow, WatchRow } from './watch.table';

/** What a watch registration asks for, already validated in form. */
export interface WatchRequest {
  readonly source: string;
  readonly invoice: string;
  readonly customerNumber?: string | undefined;
}

/** The request names no pull-only source, or misses what its source needs; the message says which. */
export class WatchRequestError extends Error {
  override readonly name = 'WatchRequestError';
}

/** The same (source, invoice) is watched already, for another customer number. */
export class WatchConflictError extends Error {
  override readonly name = 'WatchConflictError';
}

/**
 * Registers a watch (CONTRACT 7): the first poll falls due after the schedule's first wait, the
 * deadline `deadlineSeconds` after now. A second registration of the same (source, invoice)
 * answers the watch there is, whatever its state.
 */
export async function registerWatch(
  db: Db,
  config: Config,
  clock: Clock,
  request: WatchRequest,
): Promise<{ created: boolean; watch: WatchRow }> {
  const source = mmbcSource(config, request.source);
  const customerNumber = source.type === 'mmbc-ppob' ? request.customerNumber : undefined;
  if (source.type === 'mmbc-ppob' && customerNumber === undefined) {
    throw new WatchRequestError(`customerNumber (ppob_nomorpelanggan) is required for ${source.id}, a PPOB source`);
  }
  const now = clock.now();
  const inserted = await watchRepository.insertWatch(db, {
    id: newId('wch', clock),
    source_id: source.id,
    invoice: request.invoice,
    customer_number: customerNumber ?? null,
    state: 'active',
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    deadline_at: new Date(now.getTime() + source.deadlineSeconds * 1000).toISOString(),
    next_poll_at: new Date(now.getTime() + (source.pollSchedule[0] ?? 0) * 1000).toISOString(),
    last_polled_at: null,
    last_outcome: null,
    last_answer: null,
    ended_at: null,
    lease_owner: null,
    lease_expires_at: null,
  });
  const watch = await watchRepository.findWatchByInvoice(db, source.id, request.invoice);
  if (!watch) throw new Error(`watch of ${request.invoice} vanished right after it was stored`);
  if (!inserted && (watch.customer_number ?? undefined) !== customerNumber) {
    throw new WatchConflictError(
      `${source.id} invoice ${request.invoice} is watched already (${watch.id}) for customer number ${watch.customer_number ?? '(none)'}`,
    );
  }
  return { created: inserted, watch };
}

function mmbcSource(config: Config, id: string): MmbcSource {
  const source = config.sources.find((s) => s.id === id);
  if (!source) throw new WatchRequestError(`no source has the id "${id}"`);
  if (!isMmbcSource(source)) throw new WatchRequestError(`source ${id} is of type ${source.type}: only mmbc-multipayment and mmbc-ppob sources are polled`);
  return source;
}

export interface WatchView {
  readonly id: string;
  readonly source: string;
  readonly invoice: string;
  readonly customerNumber: string | null;
  readonly state: WatchRow['state'];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deadlineAt: string;
  /** When the next poll is due; null once the watch has ended. */
  readonly nextPollAt: string | null;
  readonly pollCount: number;
  readonly lastPolledAt: string | null;
  readonly lastOutcome: string | null;
  /** The provider's last answer as received (at most 4 KiB), or what went wrong. */
  readonly lastAnswer: string | null;
  readonly endedAt: string | null;
}

export function toWatchView(row: WatchRow): WatchView {
  return {
    id: row.id,
    source: row.source_id,
    invoice: row.invoice,
    customerNumber: row.customer_number,
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deadlineAt: row.deadline_at,
    nextPollAt: row.state === 'active' ? row.next_poll_at : null,
    pollCount: Number(row.poll_count),
    lastPolledAt: row.last_polled_at,
    lastOutcome: row.last_outcome,
    lastAnswer: row.last_answer,
    endedAt: row.ended_at,
  };
}

export function toPollView(row: WatchPollRow) {
  return {
    id: row.id,
    poll: Number(row.poll),
    startedAt: row.started_at,
    latencyMs: Number(row.latency_ms),
    outcome: row.outcome,
    detail: row.detail,
    statusCode: row.status_code === null ? null : Number(row.status_code),
    inboundId: row.inbound_id,
  };
}
