import { parse as parseQuery } from 'node:querystring';
import { type Config, type MmbcSource, isMmbcSource } from '../config/config';
import type { Db } from '../db/database';
import { type StatusReport, isStatus } from '../events/event';
import * as transactionRepository from '../events/transaction.repository';
import { channelOf, readAnswer } from '../polling/mmbc-answer';
import * as eventService from '../events/event.service';
import { toBillerReport } from './biller/biller-report';
import * as inboundRepository from './inbound.repository';
import type { InboundRecordRow } from './inbound.table';
import { Rejection } from './rejection';
import { reportsFromStored } from './snap/notify-specs';

/** The record cannot be re-derived; the message says why. */
export class NotReprocessableError extends Error {
  override readonly name = 'NotReprocessableError';
}

/**
 * Re-derives the canonical events of a stored request with today's parsers (after a parser fix)
 * and records them like any report: deduplicated, moving transactions, queueing deliveries. The
 * events keep pointing at the original inbound record. Refused requests are not re-derived: they
 * never passed the checks that make a request trustworthy.
 */
export async function reprocessInbound(
  db: Db,
  ingest: eventService.IngestContext,
  config: Config,
  inboundId: string,
): Promise<eventService.RecordedReports | undefined> {
  const record = await inboundRepository.findInbound(db, inboundId);
  if (!record) return undefined;
  if (record.outcome === 'rejected') throw new NotReprocessableError(`inbound record ${record.id} was rejected (${record.reason ?? 'no reason'})`);
  const source = config.sources.find((s) => s.id === record.source_id);
  const reports =
    source && isMmbcSource(source) ? await derivePolledReports(db, record, source) : deriveReports(record, config);
  return db.transaction().execute((trx) =>
    eventService.recordReports(trx, ingest, reports, { inboundId: record.id, receivedAt: record.received_at }),
  );
}

/**
 * A poll's record keeps our request (the invoice) and the provider's answer: the answer is read
 * again as the poller read it. A "No Data!" made a NOT_FOUND only at the deadline, which the
 * record's `accepted` outcome remembers.
 */
async function derivePolledReports(db: Db, record: InboundRecordRow, source: MmbcSource): Promise<StatusReport[]> {
  const invoice = new URLSearchParams(record.body ?? '').get('invoice');
  if (!invoice) throw new NotReprocessableError(`inbound record ${record.id} names no invoice`);
  const reading = readAnswer(source, invoice, { kind: 'answer', statusCode: record.response_status, body: record.response_body });
  if (reading.outcome === 'status') {
    const current = await transactionRepository.findTransaction(db, source.id, invoice);
    return [reading.report(current && isStatus(current.status) ? current.status : null)];
  }
  if (reading.outcome === 'no_data' && record.outcome !== 'rejected') {
    return [
      {
        source: source.id,
        channel: channelOf(source.type),
        reference: invoice,
        providerReference: null,
        status: 'NOT_FOUND',
        providerStatus: 'No Data!',
        amount: null,
        occurredAt: null,
        details: { reason: reading.detail },
      },
    ];
  }
  throw new NotReprocessableError(`inbound record ${record.id} carries no status (${reading.outcome}: ${reading.detail})`);
}

function deriveReports(record: InboundRecordRow, config: Config): StatusReport[] {
  const source = config.sources.find((s) => s.id === record.source_id);
  if (!source) throw new NotReprocessableError(`source "${record.source_id ?? ''}" is no longer configured`);
  try {
    if (record.channel === 'biller' && source.type === 'biller') {
      const query = parseQuery(new URL(record.url, 'http://stored.invalid').search.slice(1));
      return [toBillerReport(source.id, query, new Date(record.received_at))];
    }
    if (source.type === 'snap' && record.body !== null) {
      const reports = reportsFromStored(record.channel, JSON.parse(record.body), source);
      if (reports) return reports;
    }
  } catch (error) {
    if (error instanceof Rejection || error instanceof SyntaxError) {
      throw new NotReprocessableError(`today's parser refuses inbound record ${record.id}: ${error.message}`);
    }
    throw error;
  }
  throw new NotReprocessableError(`inbound records of channel ${record.channel} carry no status reports`);
}
