import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SECRET } from '../support/subscriber';
import { type TestDatabase, createTestDatabase, testEngine } from '../support/database';
import { type Receiver, billerPath, keepAlive, qrNotify, report, runLoad, send, sleep, startReceiver, waitFor, writeConfig } from './harness';
import { countRows, isRunning, stopReceiver } from './outage-replicas-support';

// CONTRACT 5: three receivers share one PostgreSQL database and one flaky subscriber. Each
// attempt is made by exactly one process, events of one reference arrive in creation order, and
// the deliveries a killed process held are taken over within 15 s; in the end every event is
// delivered.

const REPLICAS = 3;
const REFERENCES = 60;
const LANES = 6;
const FAILURE_RATE = 0.3;
// Each retry a second later, ten times: a 500 streak long enough to go dead has odds of 0.3^11.
const RETRY_SCHEDULE = Array.from({ length: 10 }, () => 1);
// Lease (10 s) + a poll, the retry schedule's waits, and slack for a loaded machine.
const ALL_DELIVERED_BOUND_MS = 40_000;
const TAKEOVER_BOUND_MS = 15_000;

const onPostgres = testEngine() === 'postgres' ? describe : describe.skip;

/** One request as the subscriber saw it; times are performance.now() of this process. */
interface Attempt {
  readonly webhookId: string;
  readonly reference: string;
  readonly status: string;
  readonly arrivedAt: number;
  completedAt: number | null;
  answered: number | null;
  /** The connection closed before the answer was written: the sender died. */
  dropped: boolean;
}

interface FlakySubscriber {
  readonly url: string;
  readonly attempts: Attempt[];
  close(): Promise<void>;
}

/** Deterministic choices, so a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** Answers 500 to FAILURE_RATE of the requests at once, 200 to the rest after 0–100 ms. */
async function startFlakySubscriber(): Promise<FlakySubscriber> {
  const attempts: Attempt[] = [];
  const pick = random(20261124);
  const server: Server = createServer((req, res) => {
    const arrivedAt = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { reference: string; status: string } };
      const attempt: Attempt = {
        webhookId: String(req.headers['webhook-id']),
        reference: event.data.reference,
        status: event.data.status,
        arrivedAt,
        completedAt: null,
        answered: null,
        dropped: false,
      };
      attempts.push(attempt);
      res.on('close', () => {
        attempt.completedAt = performance.now();
        attempt.dropped = !res.writableFinished;
      });
      const status = pick() < FAILURE_RATE ? 500 : 200;
      const answer = () => {
        if (res.destroyed) return;
        attempt.answered = status;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try again');
      };
      if (status === 200) setTimeout(answer, Math.floor(pick() * 100)).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Where an event stands in its reference's history, from what the subscriber was sent. */
function seqOf(reference: string, status: string): 1 | 2 {
  if (reference.startsWith('REP-B-')) return status === 'SUCCESS' ? 1 : 2;
  return status === 'PENDING' ? 1 : 2;
}

const succeeded = (a: Attempt) => a.answered === 200 && !a.dropped && a.completedAt !== null;

onPostgres('three replicas on one PostgreSQL with a flaky subscriber', () => {
  let database: TestDatabase | undefined;
  let subscriber: FlakySubscriber | undefined;
  const replicas: Receiver[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    subscriber = await startFlakySubscriber();
    const configFile = writeConfig([{ id: 'ledger', url: subscriber.url, secret: SECRET, retrySchedule: RETRY_SCHEDULE, timeoutSeconds: 2 }]);
    const databaseUrl = database.url;
    const started = await Promise.allSettled(
      Array.from({ length: REPLICAS }, () => startReceiver({ databaseUrl, configFile, env: { DELIVERY_WORKERS: '4', LOG_LEVEL: 'warn' } })),
    );
    for (const result of started) if (result.status === 'fulfilled') replicas.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => stopReceiver(replica)));
    await subscriber?.close();
    await database?.close();
  });

  it('makes each attempt once, keeps each reference in order, and takes over a killed replica’s deliveries', async () => {
    const db = (database as TestDatabase).handle.db;
    const flaky = subscriber as FlakySubscriber;
    const agent = keepAlive(LANES);
    const answers: string[] = [];
    const sendTo = async (replica: Receiver, what: string, request: Parameters<typeof send>[2]) => {
      const answer = await send(agent, replica.port, request);
      if (answer.status !== 200) answers.push(`${what} → ${answer.status} ${answer.body.slice(0, 200)}`);
    };

    // Each reference's second report goes to another replica than its first, after the first was
    // answered: the order it must be delivered in is the order it was stored in.
    await runLoad(REFERENCES, LANES, async (i) => {
      const [first, second] = [replicas[i % REPLICAS] as Receiver, replicas[(i + 1) % REPLICAS] as Receiver];
      if (i % 2 === 0) {
        const refid = `REP-B-${i}`;
        await sendTo(first, `${refid} status 0`, { path: billerPath(refid, '0') });
        await sendTo(second, `${refid} status 1`, { path: billerPath(refid, '1') });
      } else {
        const reference = `REP-Q-${i}`;
        await sendTo(first, `${reference} 01`, qrNotify(reference, `REP-X-${i}-1`, { status: '01' }));
        await sendTo(second, `${reference} 00`, qrNotify(reference, `REP-X-${i}-2`, { status: '00' }));
      }
    });
    agent.destroy();
    expect(answers).toEqual([]);
    const events = await countRows(db, 'events');
    expect(events).toBe(REFERENCES * 2);

    // Mid-delivery: the replica holding the most live leases right now dies without a word.
    const pidOf = (owner: string) => Number(owner.split(':').at(-2));
    let victim: Receiver | undefined;
    await waitFor(
      async () => {
        const leased = await db
          .selectFrom('deliveries')
          .select(['lease_owner'])
          .where('state', '=', 'pending')
          .where('lease_owner', 'is not', null)
          .where('lease_expires_at', '>', new Date().toISOString())
          .execute();
        const counts = new Map<number, number>();
        for (const { lease_owner } of leased) counts.set(pidOf(lease_owner as string), (counts.get(pidOf(lease_owner as string)) ?? 0) + 1);
        const [pid] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [];
        victim = replicas.find((replica) => replica.child.pid === pid);
        return victim !== undefined;
      },
      10_000,
      10,
    );
    if (!victim) throw new Error('no replica ever held a lease: nothing was being delivered');
    const victimPid = victim.child.pid as number;
    const killedAt = performance.now();
    await victim.kill('SIGKILL');
    const attemptsBeforeKill = flaky.attempts.length;
    const orphans = await db
      .selectFrom('deliveries')
      .select(['event_id'])
      .where('state', '=', 'pending')
      .where('lease_owner', 'like', `%:${victimPid}:%`)
      .execute();

    const allDelivered = await waitFor(
      async () => {
        const open = await db.selectFrom('deliveries').select('id').where('state', '!=', 'delivered').limit(1).execute();
        return open.length === 0;
      },
      ALL_DELIVERED_BOUND_MS,
      200,
    );
    // The last answer is written a moment before the receiver records it.
    await sleep(100);
    const survivorsUp = replicas.filter((replica) => replica !== victim).every(isRunning);

    const attempts = flaky.attempts;
    const byWebhook = new Map<string, Attempt[]>();
    for (const attempt of attempts) byWebhook.set(attempt.webhookId, [...(byWebhook.get(attempt.webhookId) ?? []), attempt]);
    // Most attempts of one webhook-id ever open at the subscriber at once.
    let maxConcurrent = 0;
    for (const list of byWebhook.values()) {
      const edges = list.flatMap((a) => [
        { at: a.arrivedAt, delta: 1 },
        { at: a.completedAt ?? Number.POSITIVE_INFINITY, delta: -1 },
      ]);
      // At equal times the end counts first: a retry starting as the last one ends is no overlap.
      edges.sort((x, y) => x.at - y.at || x.delta - y.delta);
      let open = 0;
      for (const edge of edges) maxConcurrent = Math.max(maxConcurrent, (open += edge.delta));
    }

    const references = new Map<string, Attempt[]>();
    for (const attempt of attempts) references.set(attempt.reference, [...(references.get(attempt.reference) ?? []), attempt]);
    const orderViolations: string[] = [];
    for (const [reference, list] of references) {
      const firstDone = list.filter((a) => seqOf(reference, a.status) === 1 && succeeded(a)).map((a) => a.completedAt as number);
      const secondStarts = list.filter((a) => seqOf(reference, a.status) === 2 && succeeded(a)).map((a) => a.arrivedAt);
      if (firstDone.length === 0 || secondStarts.length === 0) continue;
      if (Math.min(...secondStarts) <= Math.min(...firstDone)) orderViolations.push(reference);
    }

    const eventIds = (await db.selectFrom('events').select('id').execute()).map((row) => row.id);
    const undelivered = eventIds.filter((id) => !(byWebhook.get(id) ?? []).some(succeeded));
    const states = await db.selectFrom('deliveries').select(['state']).execute();
    const lastDelivery = Math.max(...attempts.filter(succeeded).map((a) => a.completedAt as number));
    const takeovers = orphans.map(({ event_id }) => {
      const later = (byWebhook.get(event_id) ?? []).filter((a) => a.arrivedAt > killedAt).map((a) => a.arrivedAt);
      return later.length > 0 ? Math.min(...later) - killedAt : Number.POSITIVE_INFINITY;
    });
    const takeoverMs = takeovers.length > 0 ? Math.max(...takeovers) : null;
    const tally = new Map<string, number>();
    for (const { state } of states) tally.set(state, (tally.get(state) ?? 0) + 1);
    report('replicas postgres', {
      replicas: REPLICAS,
      events,
      attempts: attempts.length,
      attemptsBeforeKill,
      served500: attempts.filter((a) => a.answered === 500).length,
      droppedByKill: attempts.filter((a) => a.dropped).length,
      duplicate200s: attempts.filter(succeeded).length - new Set(attempts.filter(succeeded).map((a) => a.webhookId)).size,
      maxConcurrentPerWebhookId: maxConcurrent,
      orderViolations: orderViolations.length,
      deliveryStates: JSON.stringify(Object.fromEntries(tally)),
      leasedByKilled: orphans.length,
      secondsToTakeOver: takeoverMs === null ? 'n/a' : takeoverMs / 1000,
      secondsFromKillToAllDelivered: (lastDelivery - killedAt) / 1000,
    });

    expect(survivorsUp).toBe(true);
    expect(allDelivered).toBe(true);
    expect(maxConcurrent).toBe(1);
    expect(orderViolations).toEqual([]);
    expect(undelivered).toEqual([]);
    expect(Object.fromEntries(tally)).toEqual({ delivered: REFERENCES * 2 });
    expect(attempts.some((a) => a.answered === 500)).toBe(true);
    expect(lastDelivery - killedAt).toBeLessThan(ALL_DELIVERED_BOUND_MS);
    if (takeoverMs !== null) expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);
  });
});
