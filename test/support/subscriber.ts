import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Subscriber } from '../../src/config/config';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly delayMs?: number;
}

export interface TestSubscriber {
  readonly url: string;
  readonly received: Received[];
  /** Decides the answer to the n-th request (from 0); 200 unless told otherwise. */
  reply: (request: Received, n: number) => Reply;
  /** Requests open now (arrived, not yet answered or dropped), and the most ever open at once. */
  readonly open: number;
  readonly maxOpen: number;
  close(): Promise<void>;
}

/** A real HTTP subscriber on 127.0.0.1 that records what it gets. */
export async function startSubscriber(): Promise<TestSubscriber> {
  const received: Received[] = [];
  const subscriber = {
    url: '',
    received,
    reply: (_request: Received, _n: number): Reply => ({ status: 200, body: 'ok' }),
    open: 0,
    maxOpen: 0,
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req, res) => {
    subscriber.open++;
    subscriber.maxOpen = Math.max(subscriber.maxOpen, subscriber.open);
    res.on('close', () => subscriber.open--);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const reply = subscriber.reply(request, received.length);
      received.push(request);
      const send = () => {
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body ?? '');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(subscriber, {
    url: `http://127.0.0.1:${port}/hooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const OLD_SECRET = 'whsec_b2xkLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=';

export function subscriberConfig(url: string, overrides: Partial<Subscriber> = {}): Subscriber {
  return { id: 'ledger', url, secrets: [SECRET], filter: {}, retrySchedule: [5, 300], timeoutSeconds: 2, concurrency: 4, ...overrides };
}
