import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { type TestDatabase, createTestDatabase, testEngine } from '../support/database';
import { SECRET, type TestSubscriber, startSubscriber } from '../support/subscriber';
import { Receivers, drained, seeded, within } from './crash-hang-support';
import { type Receiver, billerPath, keepAlive, qrNotify, report, runLoad, send, sleep, writeConfig } from './harness';

// Kill -9 in the middle of a busy second, five times over, on one database. What was answered 200
// must be there once, and reach the subscriber, whatever the crash interrupted: a commit, an
// answer on its way out, a delivery between the subscriber's 200 and its own bookkeeping.

const CYCLES = 5;
const LANES = 16;
const DRAIN_MS = 30_000;

interface SentReport {
  readonly key: string;
  readonly kind: 'biller' | 'snap';
  readonly reference: string;
  /** One status per reference, so "one event per report" is "one event per reference". */
  readonly status: '0' | '1' | '00' | '06';
  sends: number;
  acknowledged: boolean;
}

let database: TestDatabase | undefined;
let subscriber: TestSubscriber | undefined;
const receivers = new Receivers();

beforeAll(async () => {
  database = await createTestDatabase();
  subscriber = await startSubscriber();
});
afterAll(async () => {
  await receivers.killAll();
  await subscriber?.close();
  await database?.close();
});

function requestFor(sent: SentReport): Parameters<typeof send>[2] {
  if (sent.kind === 'biller') return { path: billerPath(sent.reference, sent.status as '0' | '1') };
  // The X-EXTERNAL-ID follows the reference, so a repeat is the same request re-signed, as a provider retries it.
  return qrNotify(sent.reference, `X-${sent.reference}`, { status: sent.status });
}

function acknowledged(sent: SentReport, answer: { status: number; body: string }): boolean {
  if (answer.status !== 200) return false;
  if (sent.kind === 'biller') return answer.body === 'OK';
  try {
    return (JSON.parse(answer.body) as { responseCode?: string }).responseCode === '2007900';
  } catch {
    // A 200 whose body is not the SNAP answer is not an acknowledgement; it is listed as wrong.
    return false;
  }
}

describe(`crash loop (${testEngine()})`, () => {
  it('keeps every acknowledged report exactly once and delivers every event, across repeated SIGKILLs mid-load', async () => {
    const db = database!.handle.db;
    const hooks = subscriber!;
    const configFile = writeConfig([{ id: 'ledger', url: hooks.url, secret: SECRET, retrySchedule: [1, 1, 1, 1, 1, 1, 1, 1], timeoutSeconds: 2 }]);
    const options = { databaseUrl: database!.url, configFile, env: { LOG_LEVEL: 'warn' } };
    const pick = seeded(20261124);
    const reports = new Map<string, SentReport>();
    // Reports whose last send has finished: a repeat never races its own original.
    const repeatable: SentReport[] = [];
    const wrong: string[] = [];
    let requests = 0;
    let answered200 = 0;
    let cutByKill = 0;
    let counter = 0;
    const started = performance.now();

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const receiver: Receiver = await receivers.start(options);
      const agent = keepAlive(LANES);
      let killed = false;
      const loadMs = 300 + Math.floor(pick() * 700);
      const load = runLoad(
        Number.MAX_SAFE_INTEGER,
        LANES,
        async () => {
          let sent: SentReport;
          if (repeatable.length > 0 && pick() < 0.2) {
            const at = Math.floor(pick() * repeatable.length);
            sent = repeatable[at] as SentReport;
            repeatable[at] = repeatable[repeatable.length - 1] as SentReport;
            repeatable.pop();
          } else {
            const n = counter++;
            const biller = pick() < 0.5;
            const failed = pick() < 0.25;
            const reference = `CL${cycle}-${biller ? 'B' : 'S'}-${n}`;
            const status = biller ? (failed ? '1' : '0') : failed ? '06' : '00';
            sent = { key: `${biller ? 'biller-a' : 'bank-x'}:${reference}`, kind: biller ? 'biller' : 'snap', reference, status, sends: 0, acknowledged: false };
            reports.set(sent.key, sent);
          }
          sent.sends++;
          requests++;
          const answer = await send(agent, receiver.port, requestFor(sent));
          repeatable.push(sent);
          if (acknowledged(sent, answer)) {
            sent.acknowledged = true;
            answered200++;
          } else if (answer.status === 0 && killed) {
            cutByKill++;
          } else if (wrong.length < 10) {
            wrong.push(`cycle ${cycle} ${sent.key} → ${answer.status} ${answer.body.slice(0, 200)}${killed ? ' (after the kill)' : ''}`);
          }
        },
        () => killed,
      );
      await sleep(loadMs);
      // Every lane has a request out at this moment: the kill lands mid-request, mid-commit or mid-answer.
      killed = true;
      if ((await within(receiver.kill('SIGKILL'), 10_000, 'alive')) === 'alive') wrong.push(`cycle ${cycle}: the receiver outlived SIGKILL`);
      if ((await within(load, 10_000, 'stuck')) === 'stuck') wrong.push(`cycle ${cycle}: requests still open 10 s after the kill`);
      agent.destroy();
    }

    const last = await receivers.start(options);
    const queue = await drained(db, DRAIN_MS);
    const exitCode = await within(last.kill('SIGTERM'), 15_000, 'no exit');
    const seconds = (performance.now() - started) / 1000;

    const events = await db.selectFrom('events').select(['id', 'source_id', 'reference']).execute();
    const eventsByKey = new Map<string, string[]>();
    for (const event of events) {
      const key = `${event.source_id}:${event.reference}`;
      eventsByKey.set(key, [...(eventsByKey.get(key) ?? []), event.id]);
    }
    const deliveredIds = hooks.received.map((request) => String(request.headers['webhook-id']));
    const distinctDelivered = new Set(deliveredIds);
    const ackedReports = [...reports.values()].filter((sent) => sent.acknowledged);
    const ackedNotStoredOnce = ackedReports.filter((sent) => eventsByKey.get(sent.key)?.length !== 1).map((sent) => `${sent.key} × ${eventsByKey.get(sent.key)?.length ?? 0}`);
    const storedTwice = [...eventsByKey].filter(([, ids]) => ids.length > 1).map(([key, ids]) => `${key} × ${ids.length}`);
    const neverSent = [...eventsByKey.keys()].filter((key) => !reports.has(key));
    const undelivered = events.filter((event) => !distinctDelivered.has(event.id)).map((event) => event.id);
    const integrity =
      testEngine() === 'sqlite' ? (await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db)).rows.map((row) => row.integrity_check).join('; ') : 'n/a';

    report(`crash-loop ${testEngine()}`, {
      cycles: CYCLES,
      requests,
      acknowledged: answered200,
      acknowledgedReports: ackedReports.length,
      cutByKill,
      repeats: requests - reports.size,
      events: events.length,
      deliveries: deliveredIds.length,
      duplicateDeliveries: deliveredIds.length - distinctDelivered.size,
      deliveryStates: JSON.stringify(queue.states),
      integrity,
      seconds,
    });

    expect(wrong).toEqual([]);
    // Without these the scenario proves nothing: it must have been answered, and interrupted.
    expect(ackedReports.length).toBeGreaterThan(0);
    expect(cutByKill).toBeGreaterThan(0);
    expect(ackedNotStoredOnce).toEqual([]);
    expect(storedTwice).toEqual([]);
    expect(neverSent).toEqual([]);
    expect(queue.drained).toBe(true);
    expect(queue.states.dead ?? 0).toBe(0);
    expect(undelivered).toEqual([]);
    expect(exitCode).toBe(0);
    if (testEngine() === 'sqlite') expect(integrity).toBe('ok');
  });
});
