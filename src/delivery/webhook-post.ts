const RESPONSE_KEEP_BYTES = 4096;

export type PostResult =
  | { readonly ok: true; readonly statusCode: number; readonly body: string; readonly retryAfter: string | null }
  | { readonly ok: false; readonly error: string };

/**
 * One POST to a subscriber: no redirects followed, bounded by `timeoutMs` (body included), and
 * only the first 4 KiB of the answer read. Node's fetch keeps connections alive between calls.
 */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  try {
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return { ok: true, statusCode: res.status, body: await readPrefix(res), retryAfter: res.headers.get('retry-after') };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

async function readPrefix(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < RESPONSE_KEEP_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  // The rest is not ours to wait for.
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, RESPONSE_KEEP_BYTES).toString('utf8');
}

function describeError(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  return error instanceof Error ? error.message : String(error);
}
