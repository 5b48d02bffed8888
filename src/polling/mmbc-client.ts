import type { MmbcSource } from '../config/config';
import type { PollAnswer } from './mmbc-answer';
import { pathOf } from './mmbc-answer';

/** More than any status answer the documents show; past this, the rest is not read. */
const MAX_ANSWER_BYTES = 64 * 1024;
const REDACTED = '[redacted]';

export interface PollRequest {
  readonly url: string;
  /** The form as sent, credentials included: never logged or kept. */
  readonly form: URLSearchParams;
  /** The form as it may be kept: username and password replaced. */
  readonly keptForm: string;
}

/** `status_reload` (invoice) or `cekstatus` (invoice and `ppob_nomorpelanggan`), form-encoded. */
export function pollRequest(source: MmbcSource, invoice: string, customerNumber: string | null): PollRequest {
  const fields: [string, string][] = [['invoice', invoice]];
  if (source.type === 'mmbc-ppob') fields.push(['ppob_nomorpelanggan', customerNumber ?? '']);
  const form = new URLSearchParams([['username', source.username], ['password', source.password], ...fields]);
  const keptForm = new URLSearchParams([['username', REDACTED], ['password', REDACTED], ...fields]).toString();
  return { url: `${source.baseUrl}${pathOf(source.type)}`, form, keptForm };
}

/** Posts the poll; never throws: a timeout or a failed connection is an answer of its own kind. */
export async function sendPoll(request: PollRequest, timeoutSeconds: number): Promise<PollAnswer> {
  const signal = AbortSignal.timeout(Math.round(timeoutSeconds * 1000));
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: request.form.toString(),
      redirect: 'manual',
      signal,
    });
    const body = await readBounded(response);
    return { kind: 'answer', statusCode: response.status, body };
  } catch (error) {
    if (signal.aborted) return { kind: 'failure', outcome: 'timeout', detail: `no answer within ${timeoutSeconds} s` };
    return { kind: 'failure', outcome: 'network_error', detail: describe(error) };
  }
}

async function readBounded(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_ANSWER_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}

/** The error and its cause in a line (fetch puts the socket's error in `cause`), without the URL's form. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}
