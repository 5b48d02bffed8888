import http from 'node:http';
import https from 'node:https';

const RESPONSE_KEEP_BYTES = 4096;

export type PostResult =
  | { readonly ok: true; readonly statusCode: number; readonly body: string; readonly retryAfter: string | null }
  | { readonly ok: false; readonly error: string };

// Connections to subscribers are kept open between deliveries: a subscriber taking a backlog gets
// it over a few sockets instead of a handshake per event.
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/**
 * One POST to a subscriber: no redirects followed, bounded by `timeoutMs` (body included), and
 * only the first 4 KiB of the answer read. node:http rather than fetch: fetch's web streams and
 * abort signals cost more per delivery than the rest of the attempt together.
 */
export function postWebhook(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = client.request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } });
    const timer = setTimeout(() => {
      finish({ ok: false, error: 'timeout' });
      request.destroy();
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: error.code ?? error.message }));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const answer = () =>
        finish({
          ok: true,
          statusCode: response.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, RESPONSE_KEEP_BYTES).toString('utf8'),
          retryAfter: headerValue(response.headers['retry-after']),
        });
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        // The rest is not ours to wait for; the socket goes rather than be drained.
        if (size >= RESPONSE_KEEP_BYTES) {
          answer();
          response.destroy();
        }
      });
      response.on('end', answer);
      response.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: error.code ?? error.message }));
    });
    request.end(body);
  });
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
