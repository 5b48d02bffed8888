import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BILLER_TOKEN, ADMIN_TOKEN } from '../support/config';
import { PARTNER_ID, TEST_PUBLIC_KEY, buildQrCpmNotify, providerSigner, snapTimestamp } from '../support/snap';

// Real processes on 127.0.0.1 for the resilience scenarios: the compiled receiver as a child,
// keep-alive HTTP load, and the figures each scenario prints.

const SERVER = join(__dirname, '../../dist/src/server.js');

export const CLIENT_SECRET = 'resilience-client-secret-0123456789';
export const SYMMETRIC_PARTNER_ID = 'RESILIENCE-SYMMETRIC-PARTNER';
export const QR_PATH = '/v1.0/qr/qr-cpm-notify';

export interface SubscriberEntry {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly retrySchedule?: readonly number[];
  readonly timeoutSeconds?: number;
  readonly concurrency?: number;
}

/** A config file with a biller source, an asymmetric and a symmetric SNAP source (test keys only). */
export function writeConfig(subscribers: readonly SubscriberEntry[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-resilience-'));
  writeFileSync(join(dir, 'provider.pub.pem'), TEST_PUBLIC_KEY);
  const config = {
    sources: [
      { id: 'biller-a', type: 'biller', allowedIps: ['127.0.0.1'], token: BILLER_TOKEN, rateLimitPerMinute: 1_000_000 },
      {
        id: 'bank-x',
        type: 'snap',
        partnerId: PARTNER_ID,
        allowedIps: ['127.0.0.1'],
        signature: 'asymmetric',
        publicKey: { file: 'provider.pub.pem' },
        rateLimitPerMinute: 1_000_000,
      },
      {
        id: 'bank-y',
        type: 'snap',
        partnerId: SYMMETRIC_PARTNER_ID,
        allowedIps: ['127.0.0.1'],
        signature: 'symmetric',
        publicKey: { file: 'provider.pub.pem' },
        clientSecret: CLIENT_SECRET,
        rateLimitPerMinute: 1_000_000,
      },
    ],
    subscribers,
  };
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

export interface Receiver {
  readonly child: ChildProcess;
  readonly port: number;
  readonly adminPort: number;
  /** Every line it wrote on stdout and stderr so far. */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** A port nothing listens on right now (the receiver's own log line may be below LOG_LEVEL). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the compiled receiver and waits until it answers /healthz on both listeners. */
export async function startReceiver(options: { databaseUrl: string; configFile: string; env?: Record<string, string> }): Promise<Receiver> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      CONFIG_FILE: options.configFile,
      DATABASE_URL: options.databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      ADMIN_TOKEN,
      RATE_LIMIT_PER_IP_PER_MINUTE: '10000000',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const onChunk = (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);
  let exitCode: number | null | undefined;
  const exited = once(child, 'exit').then(([code]) => {
    exitCode = code as number | null;
    return exitCode;
  });
  const agent = new Agent({ keepAlive: false });
  const up = await waitFor(async () => {
    if (exitCode !== undefined) return true;
    const [a, b] = await Promise.all([send(agent, port, { path: '/healthz' }), send(agent, adminPort, { path: '/healthz' })]);
    return a.status === 200 && b.status === 200;
  }, 30_000, 50);
  if (!up || exitCode !== undefined) {
    // Never leave a half-started receiver behind: CI would wait for it.
    child.kill('SIGKILL');
    throw new Error(`receiver did not start (exit ${String(exitCode)}): ${lines.join('\n')}`);
  }
  return {
    child,
    port,
    adminPort,
    lines,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP exchange; a network error is answered as status 0 with the error in the body. */
export function send(
  agent: Agent,
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      { agent, host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (error) => resolve({ status: 0, body: error.message }));
      },
    );
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
    req.end(options.body);
  });
}

export function keepAlive(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets });
}

export function billerPath(refid: string, status: '0' | '1' = '0'): string {
  return `/callbacks/biller/biller-a/${BILLER_TOKEN}?status=${status}&refid=${encodeURIComponent(refid)}`;
}

/** An asymmetric SNAP qr-cpm-notify for `reference`, signed over the bytes sent. */
export function qrNotify(reference: string, externalId: string, options: { status?: string; extra?: Record<string, unknown>; at?: Date } = {}) {
  const body = JSON.stringify(buildQrCpmNotify({ originalPartnerReferenceNo: reference, latestTransactionStatus: options.status ?? '00', ...options.extra }));
  const timestamp = snapTimestamp(options.at ?? new Date());
  return {
    method: 'POST',
    path: QR_PATH,
    body,
    headers: {
      'Content-Type': 'application/json',
      'X-TIMESTAMP': timestamp,
      'X-SIGNATURE': providerSigner.asymmetric(QR_PATH, body, timestamp),
      'X-PARTNER-ID': PARTNER_ID,
      'X-EXTERNAL-ID': externalId,
      'CHANNEL-ID': '95221',
    },
  };
}

/** Runs `worker(i)` for i = 0… with `concurrency` at a time, until `count` are done or `stop()` says so. */
export async function runLoad(count: number, concurrency: number, worker: (i: number) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count && !stop()) {
      const i = next++;
      await worker(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** A scenario's figures, one line each, so CI logs show them. */
export function report(scenario: string, figures: Record<string, unknown>): void {
  const text = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`)
    .join(' ');
  process.stdout.write(`[resilience] ${scenario}: ${text}\n`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it answers true or `ms` pass; answers whether it did. */
export async function waitFor(check: () => Promise<boolean>, ms: number, every = 100): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await sleep(every);
  }
}

export async function readyz(agent: Agent, adminPort: number): Promise<number> {
  return (await send(agent, adminPort, { path: '/readyz' })).status;
}
