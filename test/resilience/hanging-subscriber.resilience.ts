import type { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type TestDatabase, countEvents, createTestDatabase, testEngine } from '../support/database';
import { SECRET, type TestSubscriber, startSubscriber } from '../support/subscriber';
import { Receivers, within } from './crash-hang-support';
import { type Receiver, billerPath, keepAlive, percentile, qrNotify, report, send, sleep, waitFor, writeConfig } from './harness';

// A subscriber that accepts connections and never answers sits beside a healthy one, with the
// default four workers. The hanging one may hold its share of workers until each attempt times
// out, but the healthy one must go on getting every event within a second of its callback.

const WARMUP_CALLBACKS = 40;
const CALLBACKS = 200;
const PER_SECOND = 50;
const HANG_MS = 600_000;
const REACH_MS = 15_000;
const SEND_MS = 30_000;

let database: TestDatabase | undefined;
let healthy: TestSubscriber | undefined;
let hanging: TestSubscriber | undefined;
const receivers = new Receivers();

beforeAll(async () => {
  database = await createTestDatabase();
  healthy = await startSubscriber();
  hanging = await startSubscriber();
});
afterAll(async () => {
  await receivers.killAll();
  // Closing drops the connections the hanging subscriber still holds open.
  await hanging?.close();
  await healthy?.close();
  await database?.close();
});

/**
 * Half biller callbacks, half asymmetric qr-cpm-notifies, each with its own reference; signed up
 * front, so signing does not sit in the event loop that timestamps the arrivals.
 */
function callbacks(prefix: string, count: number): { reference: string; request: Parameters<typeof send>[2] }[] {
  return Array.from({ length: count }, (_, i) => {
    const reference = `${prefix}-${i % 2 === 0 ? 'B' : 'S'}-${i}`;
    return { reference, request: i % 2 === 0 ? { path: billerPath(reference) } : qrNotify(reference, `X-${reference}`) };
  });
}

/** Sends at PER_SECOND, open loop (a slow answer must not slow the offered load); answers when each got its 200. */
async function steadyLoad(agent: Agent, port: number, load: ReturnType<typeof callbacks>, wrong: string[]): Promise<Map<string, number>> {
  const answeredAt = new Map<string, number>();
  const sends: Promise<void>[] = [];
  const started = performance.now();
  for (const [i, callback] of load.entries()) {
    const wait = started + (i * 1000) / PER_SECOND - performance.now();
    if (wait > 0) await sleep(wait);
    sends.push(
      send(agent, port, callback.request).then((answer) => {
        if (answer.status === 200) answeredAt.set(callback.reference, performance.now());
        else if (wrong.length < 10) wrong.push(`${callback.reference} → ${answer.status} ${answer.body.slice(0, 200)}`);
      }),
    );
  }
  if ((await within(Promise.all(sends), SEND_MS, 'open')) === 'open') wrong.push(`callbacks still unanswered ${SEND_MS} ms after the last was sent`);
  return answeredAt;
}

describe(`hanging subscriber beside a healthy one (${testEngine()})`, () => {
  it('delivers every event to the healthy subscriber with p99 under 1 s while the other never answers', async () => {
    const began = performance.now();
    const ledger = healthy!;
    const stuck = hanging!;
    stuck.reply = () => ({ status: 200, body: 'too late', delayMs: HANG_MS });
    // When each event first reached the healthy subscriber, by the reference it carries.
    const firstArrival = new Map<string, { at: number; reference: string }>();
    ledger.reply = (request) => {
      const id = String(request.headers['webhook-id']);
      if (!firstArrival.has(id)) {
        const at = performance.now();
        // A body that is not an event must fail the test, not throw inside the subscriber's server.
        let reference = `unreadable body of ${id}`;
        try {
          reference = (JSON.parse(request.body) as { data: { reference: string } }).data.reference;
        } catch {
          // reported as unmatched below
        }
        firstArrival.set(id, { at, reference });
      }
      return { status: 200, body: 'ok' };
    };
    // The hanging one first, so it is never helped by being asked second.
    const configFile = writeConfig([
      { id: 'stuck', url: stuck.url, secret: SECRET, timeoutSeconds: 2 },
      { id: 'ledger', url: ledger.url, secret: SECRET },
    ]);
    const receiver: Receiver = await receivers.start({
      databaseUrl: database!.url,
      configFile,
      env: { LOG_LEVEL: 'error', DELIVERY_WORKERS: '4' },
    });

    const agent = keepAlive(32);
    const wrong: string[] = [];
    // A cold process answers and delivers slowly for its first second (JIT, connections), with or
    // without a hanging subscriber; the warm-up keeps that out of the figures, and leaves the
    // hanging subscriber already holding every worker it may take when the measured load begins.
    const warmup = await steadyLoad(agent, receiver.port, callbacks('WARM', WARMUP_CALLBACKS), wrong);
    const warmedUp = await waitFor(async () => firstArrival.size >= WARMUP_CALLBACKS, REACH_MS);
    const started = performance.now();
    const answeredAt = await steadyLoad(agent, receiver.port, callbacks('HS', CALLBACKS), wrong);
    const sendSeconds = (performance.now() - started) / 1000;
    agent.destroy();

    const events = await countEvents(database!);
    const reachedAll = await waitFor(async () => firstArrival.size >= events, REACH_MS);
    const latencies: number[] = [];
    const unmatched: string[] = [];
    for (const [id, arrival] of firstArrival) {
      if (warmup.has(arrival.reference)) continue;
      const answered = answeredAt.get(arrival.reference);
      if (answered === undefined) unmatched.push(`${id} (${arrival.reference})`);
      else latencies.push(arrival.at - answered);
    }
    const attemptsToHanging = stuck.received.length;
    const hangingMaxOpen = stuck.maxOpen;
    const exitCode = await within(receiver.kill('SIGTERM'), 15_000, 'no exit');

    const p99 = percentile(latencies, 99);
    report(`hanging-subscriber ${testEngine()}`, {
      callbacks: CALLBACKS,
      warmup: WARMUP_CALLBACKS,
      sendSeconds,
      events,
      reachedHealthy: firstArrival.size,
      p50ms: percentile(latencies, 50),
      p99ms: p99,
      maxMs: percentile(latencies, 100),
      healthyRequests: ledger.received.length,
      attemptsToHanging,
      hangingMaxOpen,
      seconds: (performance.now() - began) / 1000,
    });

    expect(wrong).toEqual([]);
    expect(warmedUp).toBe(true);
    expect(events).toBe(WARMUP_CALLBACKS + CALLBACKS);
    expect(reachedAll).toBe(true);
    expect(unmatched).toEqual([]);
    // Otherwise nothing hung and the latency proves nothing.
    expect(attemptsToHanging).toBeGreaterThan(0);
    expect(hangingMaxOpen).toBeLessThanOrEqual(4);
    expect(p99).toBeLessThan(1000);
    expect(exitCode).toBe(0);
  });
});
