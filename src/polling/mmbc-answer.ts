import type { MmbcSource } from '../config/config';
import type { Channel, Status, StatusReport } from '../events/event';

// What one answer of MMBC's status_reload (seed 000_523e7946f5381f31.txt) or cekstatus
// (seed 001_3ad254cabdf39436.txt) means for a watch (CONTRACT 7). The receiver never makes up a
// FAILED: only the provider's own words end a watch.

/** How a poll ended, as stored and as the `outcome` label of `receiver_polls_total`. */
export const POLL_OUTCOMES = [
  'status', // the answer carried a status: an event (or a duplicate of one)
  'no_data', // "No Data!": the provider does not know the invoice (yet)
  'provider_error', // reason_code 91–99 ([GANGGUAN]): transient on the provider's side
  'credentials_refused', // reason_code 57–59: our username or password is refused
  'refused', // any other `result: no`: kept and polled again, never turned into a FAILED
  'unexpected', // an answer we cannot read as a status (not JSON, unknown status, another invoice)
  'http_error', // an HTTP status other than 2xx
  'timeout',
  'network_error',
] as const;
export type PollOutcome = (typeof POLL_OUTCOMES)[number];

export type MmbcType = MmbcSource['type'];

/** The answer a poll got, or why none came. */
export type PollAnswer =
  | { readonly kind: 'answer'; readonly statusCode: number; readonly body: string }
  | { readonly kind: 'failure'; readonly outcome: 'timeout' | 'network_error'; readonly detail: string };

/** What the watch makes of one answer. */
export type Reading =
  | {
      readonly outcome: 'status';
      /** A final answer: the watch is done. */
      readonly terminal: boolean;
      readonly detail: string;
      /** The report, given the transaction's current status (a REFUND depends on it). */
      report(current: Status | null): StatusReport;
    }
  | {
      readonly outcome: Exclude<PollOutcome, 'status'>;
      readonly detail: string;
      /** reason_code 93: too many requests in process; the whole source waits a while. */
      readonly pauseSource: boolean;
    };

export function channelOf(type: MmbcType): Channel {
  return type === 'mmbc-multipayment' ? 'mmbc.multipayment' : 'mmbc.ppob';
}

export function pathOf(type: MmbcType): string {
  return type === 'mmbc-multipayment' ? '/json/multipayment/status_reload' : '/json/ppob/cekstatus';
}

// Answer fields that become the event's own fields; every other field goes to `details`.
const MAPPED: Readonly<Record<MmbcType, readonly string[]>> = {
  'mmbc-multipayment': ['result', 'invoice', 'reference', 'amount', 'status'],
  'mmbc-ppob': ['result', 'ppob_invoice', 'ppob_reff', 'ppob_totalbayar', 'ppob_status'],
};

export function readAnswer(source: Pick<MmbcSource, 'id' | 'type'>, invoice: string, answer: PollAnswer): Reading {
  if (answer.kind === 'failure') return other(answer.outcome, answer.detail);
  if (answer.statusCode < 200 || answer.statusCode > 299) return other('http_error', `HTTP ${answer.statusCode}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return other('unexpected', 'the answer is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return other('unexpected', 'the answer is not a JSON object');
  const fields = parsed as Record<string, unknown>;
  const result = text(fields.result)?.toLowerCase();
  if (result === 'no') return readRefusal(fields);
  if (result !== 'ok') return other('unexpected', `result is ${JSON.stringify(fields.result ?? null)}, neither ok nor no`);

  const ppob = source.type === 'mmbc-ppob';
  const answeredInvoice = text(ppob ? fields.ppob_invoice : fields.invoice);
  if (answeredInvoice !== null && answeredInvoice !== invoice) {
    return other('unexpected', `the answer is for invoice ${answeredInvoice}, not ${invoice}`);
  }
  const providerStatus = text(ppob ? fields.ppob_status : fields.status);
  if (providerStatus === null) return other('unexpected', 'the answer has no status');
  const found = statusOf(source.type, providerStatus);
  if (found === null) return other('unexpected', `unknown status ${providerStatus}`);

  const rawAmount = text(ppob ? fields.ppob_totalbayar : fields.amount);
  const amountValue = rawAmount === null ? null : parseMmbcAmount(rawAmount);
  const details = Object.fromEntries(Object.entries(fields).filter(([key]) => !MAPPED[source.type].includes(key)));
  if (rawAmount !== null && amountValue === null) details.unreadableAmount = rawAmount;
  const base = {
    source: source.id,
    channel: channelOf(source.type),
    reference: invoice,
    providerReference: text(ppob ? fields.ppob_reff : fields.reference),
    providerStatus,
    amount: amountValue === null ? null : { value: amountValue, currency: 'IDR' },
    occurredAt: jakartaTime(text(ppob ? fields.ppob_tanggal : fields.date)),
    details,
  };
  return {
    outcome: 'status',
    terminal: found !== 'PENDING',
    detail: `status ${providerStatus}`,
    report(current: Status | null): StatusReport {
      // CONTRACT 7: a REFUND takes back a sale that succeeded; of one that never did, it says it failed.
      const status = found === 'REFUNDED' && current !== 'SUCCESS' ? 'FAILED' : found;
      return { ...base, status };
    },
  };
}

function readRefusal(fields: Record<string, unknown>): Reading {
  const reason = text(fields.reason) ?? '';
  const code = text(fields.reason_code);
  const detail = code === null ? reason : `${code}: ${reason}`;
  if (code === null && /^no data!?$/i.test(reason.trim())) return other('no_data', detail);
  const number = code !== null && /^[0-9]{1,3}$/.test(code) ? Number(code) : null;
  if (number !== null && number >= 91 && number <= 99) {
    return { outcome: 'provider_error', detail, pauseSource: number === 93 };
  }
  if (number !== null && number >= 57 && number <= 59) return other('credentials_refused', detail);
  return other('refused', detail);
}

function other(outcome: Exclude<PollOutcome, 'status'>, detail: string): Reading {
  return { outcome, detail, pauseSource: false };
}

function statusOf(type: MmbcType, providerStatus: string): Status | null {
  const value = providerStatus.trim().toUpperCase();
  if (type === 'mmbc-multipayment') {
    if (value === 'CONFIRM') return 'SUCCESS';
    if (value === 'REFUND') return 'REFUNDED';
    return null;
  }
  if (value === 'CONFIRM') return 'SUCCESS';
  if (value === 'PENDING') return 'PENDING';
  return null;
}

/** A JSON string or number as text; anything else is absent. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * The documents' amounts as a decimal string with two places, never through a float: `"100000"`,
 * `"102.500"` (a dot between groups of thousands), `"94,50"` (a decimal comma), or both
 * (`"1.234,5"`). Anything else is null: a dot followed by other than three digits could be a
 * decimal point, and guessing would be guessing about money.
 */
export function parseMmbcAmount(raw: string): string | null {
  const match = /^([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,([0-9]{1,2}))?$/.exec(raw.trim());
  if (!match) return null;
  const [, whole = '', fraction = ''] = match;
  const digits = whole.replace(/\./g, '').replace(/^0+(?=[0-9])/, '');
  return `${digits}.${fraction.padEnd(2, '0')}`;
}

/** `YYYY-MM-DD hh:mm:ss` in Jakarta time (WIB, UTC+7), as the documents write dates; else null. */
function jakartaTime(value: string | null): string | null {
  const match = value === null ? null : /^([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2})$/.exec(value.trim());
  if (!match) return null;
  const at = new Date(`${match[1]}T${match[2]}+07:00`);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}
