import type { StatusReport } from '../../events/event';
import { Rejection } from '../rejection';
import { parseBillerDate, parseBillerMessage } from './biller-message';

type Query = Readonly<Record<string, unknown>>;

// Limits count Unicode code points, as ajv's maxLength does on the SNAP routes, so a reference
// has one limit whichever route brings it (an emoji is one character, not two UTF-16 units).
const MAX_REFID = 64;
const MAX_FIELD = 2048;

/**
 * CONTRACT 3.1 and 4: the reversal's query string as one canonical report. Throws an
 * `invalid_request` Rejection whose detail is the plain-text reason given to the caller.
 */
export function toBillerReport(sourceId: string, query: Query, receivedAt: Date): StatusReport {
  const status = single(query, 'status');
  const refid = single(query, 'refid');
  if (status !== '0' && status !== '1') throw invalid('status must be 0 or 1');
  if (refid === undefined || refid === '') throw invalid('refid is required');
  if (longerThan(refid, MAX_REFID)) throw invalid(`refid must be at most ${MAX_REFID} characters`);
  if (/[\u0000-\u001f\u007f]/.test(refid)) throw invalid('refid must not contain control characters');
  const [product, qty, dest, message] = (['product', 'qty', 'dest', 'message'] as const).map((name) => {
    const value = single(query, name);
    if (value !== undefined && longerThan(value, MAX_FIELD)) throw invalid(`${name} must be at most ${MAX_FIELD} characters`);
    return value ?? null;
  });
  const parsed = message ? parseBillerMessage(message) : null;
  return {
    source: sourceId,
    channel: 'biller',
    reference: refid,
    providerReference: parsed?.sn ?? null,
    status: status === '0' ? 'SUCCESS' : 'FAILED',
    providerStatus: status,
    amount: parsed?.price ? { value: parsed.price, currency: 'IDR' } : null,
    occurredAt: parseBillerDate(parsed?.date ?? null, receivedAt),
    details: {
      product: product ?? null,
      qty: qty ?? null,
      dest: dest ?? null,
      message: message ?? null,
      sn: parsed?.sn ?? null,
      balance: parsed?.balance ?? null,
      price: parsed?.price ?? null,
      tgl: parsed?.date ?? null,
      messageStatus: parsed?.word ?? null,
    },
  };
}

/** Whether `value` has more than `max` code points. */
function longerThan(value: string, max: number): boolean {
  // A string never has more code points than UTF-16 units, so only a long one is counted.
  return value.length > max && [...value].length > max;
}

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be given once`);
  return value;
}

function invalid(reason: string): Rejection {
  return new Rejection('invalid_request', reason);
}
