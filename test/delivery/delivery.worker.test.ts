import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import type { Subscriber } from '../../src/config/config';
import * as deliveryRepository from '../../src/delivery/delivery.repository';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import type { Channel, Status } from '../../src/events/event';
import { buildApps } from '../support/app';
import { testClock } from '../support/clock';
import { ADMIN_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase, testEngine } from '../support/database';
import { storeEvent } from '../support/store-event';
import { OLD_SECRET, SECRET, type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

let database: TestDatabase;
let hook: TestSubscriber;
const clock = testClock();

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  clock.set('2026-11-22T03:00:00.000Z');
  hook = await startSubscriber();
});
afterEach(async () => {
  await hook.close();
});

function dispatcher(subscribers: readonly Subscriber[], workers = 4, db = database.handle.db) {
  // random 0.5 puts the ±20 % jitter at its middle: waits are exactly the schedule's steps.
  return new DeliveryDispatcher({ db, clock, logger: pino({ level: 'silent' }), subscribers, workers, random: () => 0.5 });
}

function store(subscribers: readonly Subscriber[], reference: string, status: Status, channel?: Channel) {
  return storeEvent(database.handle.db, clock, subscribers, reference, status, channel);
}

async function deliveries() {
  return database.handle.db.selectFrom('deliveries').selectAll().orderBy('id').execute();
}

async function attempts() {
  return database.handle.db.selectFrom('delivery_attempts').selectAll().orderBy('delivery_id').orderBy('attempt').execute();
}

/** Standard Webhooks verification, written from the spec with node's crypto. */
function verifies(secret: string, headers: Received['headers'], body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`).digest('base64');
  return String(headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
}
type Received = TestSubscriber['received'][number];

describe('signing', () => {
  it('signs each delivery so the subscriber can verify it with the secret alone', async () => {
    const subscribers = [subscriberConfig(hook.url)];
    const eventId = await store(subscribers, 'T1', 'SUCCESS');

    await dispatcher(subscribers).processDue();

    expect(hook.received).toHaveLength(1);
    const [{ headers, body }] = hook.received as [Received];
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toBe(eventId);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(clock.now().getTime() / 1000)));
    expect(verifies(SECRET, headers, body)).toBe(true);
    expect(verifies(OLD_SECRET, headers, body)).toBe(false);
    expect(JSON.parse(body)).toMatchObject({ id: eventId, type: 'payment.status', data: { source: 'bank-x', reference: 'T1', status: 'SUCCESS' } });
  });

  it('signs with every secret of a rotated pair, current first', async () => {
    const subscribers = [subscriberConfig(hook.url, { secrets: [SECRET, OLD_SECRET] })];
    await store(subscribers, 'T1', 'SUCCESS');

    await dispatcher(subscribers).processDue();

    const [{ headers, body }] = hook.received as [Received];
    const signatures = String(headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures.every((s) => s.startsWith('v1,'))).toBe(true);
    expect(verifies(SECRET, { ...headers, 'webhook-signature': signatures[0] }, body)).toBe(true);
    expect(verifies(OLD_SECRET, { ...headers, 'webhook-signature': signatures[1] }, body)).toBe(true);
  });
});

describe('retries', () => {
  it('retries a failing subscriber on its schedule and delivers once, with the same webhook-id', async () => {
    const subscribers = [subscriberConfig(hook.url)];
    hook.reply = (_req, n) => (n < 2 ? { status: 500, body: 'down' } : { status: 204 });
    await store(subscribers, 'T1', 'SUCCESS');
    const worker = dispatcher(subscribers);

    expect(await worker.processDue()).toBe(1);
    clock.advance(4_999);
    expect(await worker.processDue()).toBe(0);
    clock.advance(1);
    expect(await worker.processDue()).toBe(1);
    clock.advance(300_000);
    expect(await worker.processDue()).toBe(1);
    expect(await worker.processDue()).toBe(0);

    expect(hook.received).toHaveLength(3);
    expect(new Set(hook.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const [delivery] = await deliveries();
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 3, lease_owner: null });
    expect((await attempts()).map((a) => [a.attempt, a.status_code, a.outcome, a.response_body])).toEqual([
      [1, 500, 'retry', 'down'],
      [2, 500, 'retry', 'down'],
      [3, 204, 'delivered', ''],
    ]);
  });

  it('makes a delivery dead once the schedule is spent, and keeps it visible', async () => {
    const subscribers = [subscriberConfig(hook.url, { retrySchedule: [5, 300] })];
    hook.reply = () => ({ status: 500 });
    await store(subscribers, 'T1', 'SUCCESS');
    const worker = dispatcher(subscribers);

    await worker.processDue();
    clock.advance(5_000);
    await worker.processDue();
    clock.advance(300_000);
    await worker.processDue();
    clock.advance(36_000_000);

    expect(await worker.processDue()).toBe(0);
    expect(hook.received).toHaveLength(3);
    expect(await deliveries()).toMatchObject([{ state: 'dead', attempts: 3, last_error: 'HTTP 500' }]);
  });

  it('makes a delivery dead at once on 410 Gone, and records the attempt', async () => {
    const subscribers = [subscriberConfig(hook.url, { retrySchedule: [5, 300] })];
    hook.reply = () => ({ status: 410, body: 'gone for good' });
    await store(subscribers, 'T1', 'SUCCESS');
    const worker = dispatcher(subscribers);

    expect(await worker.processDue()).toBe(1);
    clock.advance(400_000);
    expect(await worker.processDue()).toBe(0);

    expect(hook.received).toHaveLength(1);
    expect(await deliveries()).toMatchObject([{ state: 'dead', attempts: 1, last_error: 'HTTP 410', lease_owner: null }]);
    expect((await attempts()).map((a) => [a.attempt, a.status_code, a.error, a.outcome, a.response_body])).toEqual([[1, 410, 'HTTP 410', 'dead', 'gone for good']]);
  });

  it('times out a slow subscriber and retries it', async () => {
    const subscribers = [subscriberConfig(hook.url, { timeoutSeconds: 0.2 })];
    hook.reply = (_req, n) => (n === 0 ? { status: 200, delayMs: 2_000 } : { status: 200 });
    await store(subscribers, 'T1', 'SUCCESS');
    const worker = dispatcher(subscribers);

    await worker.processDue();
    clock.advance(5_000);
    await worker.processDue();

    expect((await attempts()).map((a) => [a.outcome, a.error])).toEqual([
      ['retry', 'timeout'],
      ['delivered', null],
    ]);
  });

  it.each([
    [503, '7', 7],
    [429, '7', 7],
    [503, '100', 10],
    [500, '7', 5],
  ])('waits for Retry-After on %i (%s s asked, step 5 s) → %i s', async (status, retryAfter, waited) => {
    const subscribers = [subscriberConfig(hook.url, { retrySchedule: [5] })];
    hook.reply = () => ({ status, headers: { 'Retry-After': retryAfter } });
    await store(subscribers, 'T1', 'SUCCESS');

    await dispatcher(subscribers).processDue();

    const [delivery] = await deliveries();
    expect(Date.parse(delivery?.next_attempt_at ?? '') - clock.now().getTime()).toBe(waited * 1000);
  });

  it('treats a redirect, a refused connection and an oversized error page as failures, keeping 4 KiB', async () => {
    const closed = await startSubscriber();
    await closed.close();
    const subscribers = [
      subscriberConfig(hook.url, { id: 'redirected' }),
      subscriberConfig(closed.url, { id: 'refused' }),
      subscriberConfig(`${hook.url}?big`, { id: 'big' }),
    ];
    hook.reply = (req) =>
      req.body.includes('"T1"') ? { status: 302, headers: { Location: 'http://127.0.0.1:1/' } } : { status: 500, body: 'x'.repeat(10_000) };
    await store([subscribers[0] as Subscriber], 'T1', 'SUCCESS');
    await store([subscribers[1] as Subscriber], 'T2', 'SUCCESS');
    await store([subscribers[2] as Subscriber], 'T3', 'SUCCESS');

    await dispatcher(subscribers, 1).processDue();

    const bySubscriber = Object.fromEntries((await deliveries()).map((d) => [d.subscriber_id, d]));
    const log = await attempts();
    const attemptOf = (subscriber: string) => log.find((a) => a.delivery_id === bySubscriber[subscriber]?.id);
    expect(attemptOf('redirected')).toMatchObject({ status_code: 302, outcome: 'retry' });
    expect(attemptOf('refused')).toMatchObject({ status_code: null, error: 'ECONNREFUSED', outcome: 'retry' });
    expect(attemptOf('big')?.response_body).toHaveLength(4096);
  });
});

describe('ordering', () => {
  it('delivers PENDING before SUCCESS of one reference, without holding back another reference', async () => {
    const subscribers = [subscriberConfig(hook.url)];
    let pendingFailures = 1;
    hook.reply = (req) => {
      const data = (JSON.parse(req.body) as { data: { reference: string; status: string } }).data;
      if (data.reference === 'A' && data.status === 'PENDING' && pendingFailures-- > 0) return { status: 503 };
      return { status: 200 };
    };
    await store(subscribers, 'A', 'PENDING');
    await store(subscribers, 'A', 'SUCCESS');
    await store(subscribers, 'B', 'SUCCESS');
    const worker = dispatcher(subscribers);
    const seen = () => hook.received.map((r) => JSON.parse(r.body) as { data: { reference: string; status: string } }).map((e) => `${e.data.reference}:${e.data.status}`);

    await worker.processDue();
    // A's first attempt and B's go out together; A:SUCCESS waits behind the failed A:PENDING.
    expect(seen().sort()).toEqual(['A:PENDING', 'B:SUCCESS']);

    clock.advance(5_000);
    await worker.processDue();
    expect(seen().slice(2)).toEqual(['A:PENDING', 'A:SUCCESS']);
  });

  it('lets a dead delivery release the ones after it', async () => {
    const subscribers = [subscriberConfig(hook.url, { retrySchedule: [] })];
    hook.reply = (req) => (req.body.includes('"PENDING"') ? { status: 500 } : { status: 200 });
    await store(subscribers, 'A', 'PENDING');
    await store(subscribers, 'A', 'SUCCESS');

    await dispatcher(subscribers).processDue();

    expect((await deliveries()).map((d) => d.state)).toEqual(['dead', 'delivered']);
  });
});

describe('filters', () => {
  it('gives a subscriber filtered to snap.qr-cpm and SUCCESS only those events', async () => {
    const subscribers = [subscriberConfig(hook.url, { filter: { channels: ['snap.qr-cpm'], statuses: ['SUCCESS'] } })];
    await store(subscribers, 'Q1', 'SUCCESS', 'snap.qr-cpm');
    await store(subscribers, 'Q2', 'PENDING', 'snap.qr-cpm');
    await store(subscribers, 'B1', 'SUCCESS', 'snap.bulk-cashin');
    await store(subscribers, 'B2', 'SUCCESS', 'biller');

    await dispatcher(subscribers).processDue();

    expect(hook.received.map((r) => (JSON.parse(r.body) as { data: { reference: string } }).data.reference)).toEqual(['Q1']);
    expect(await deliveries()).toHaveLength(1);
  });

  it('writes no delivery for a duplicate report', async () => {
    const subscribers = [subscriberConfig(hook.url)];
    await store(subscribers, 'T1', 'SUCCESS');
    await store(subscribers, 'T1', 'SUCCESS');

    expect(await deliveries()).toHaveLength(1);
  });
});

describe('crash safety and concurrency', () => {
  it('retries a delivery whose worker claimed it and died, once the lease runs out', async () => {
    const subscribers = [subscriberConfig(hook.url)];
    await store(subscribers, 'T1', 'SUCCESS');
    const now = clock.now();
    const leaseUntil = new Date(now.getTime() + 60_000).toISOString();
    const claimed = await database.handle.db
      .transaction()
      .execute((trx) => deliveryRepository.claimDue(trx, 'worker-that-died', now.toISOString(), leaseUntil, [{ subscriberId: 'ledger', room: 10 }], (found) => found));
    const worker = dispatcher(subscribers);

    expect(claimed).toHaveLength(1);
    expect(await worker.processDue()).toBe(0);
    clock.advance(60_000);
    expect(await worker.processDue()).toBe(1);
    expect(await deliveries()).toMatchObject([{ state: 'delivered', attempts: 1 }]);
  });

  // On PostgreSQL the second dispatcher has its own pool, as another process would. SQLite is
  // one process's engine: better-sqlite3 blocks the thread while it waits for a lock, so two
  // connections in one process would wait on each other; there both share the one connection.
  it('attempts each delivery exactly once with two dispatchers racing', async () => {
    const subscribers = [subscriberConfig(hook.url)];
    for (let n = 0; n < 30; n++) await store(subscribers, `R${n}`, 'SUCCESS');
    const other = testEngine() === 'postgres' ? database.reopen() : { db: database.handle.db, close: () => Promise.resolve() };
    try {
      await Promise.all([dispatcher(subscribers, 4).processDue(), dispatcher(subscribers, 4, other.db).processDue()]);
    } finally {
      await other.close();
    }

    const ids = hook.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(await attempts()).toHaveLength(30);
  });
});

describe('admin API for deliveries', () => {
  it('lists dead deliveries, shows attempts on the event, and retries a dead one', async () => {
    const subscribers = [subscriberConfig(hook.url, { retrySchedule: [] })];
    hook.reply = (_req, n) => (n === 0 ? { status: 500, body: 'nope' } : { status: 200 });
    const eventId = await store(subscribers, 'T1', 'SUCCESS');
    const worker = dispatcher(subscribers);
    await worker.processDue();
    const apps = buildApps(database, buildConfig({ subscribers }));
    const admin = (path: string) => request(apps.adminApp).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

    const dead = await admin('/admin/deliveries?state=dead&subscriber=ledger').expect(200);
    const detail = await admin(`/admin/events/${eventId}`).expect(200);
    const id = dead.body.items[0].id as string;
    const retried = await request(apps.adminApp).post(`/admin/deliveries/${id}/retry`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    await worker.processDue();
    const again = await request(apps.adminApp).post(`/admin/deliveries/${id}/retry`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

    expect(dead.body.items).toHaveLength(1);
    expect(dead.body.items[0]).toMatchObject({ eventId, subscriber: 'ledger', state: 'dead', attempts: 1, lastError: 'HTTP 500' });
    expect(detail.body.deliveries[0].attemptLog).toEqual([
      { attempt: 1, startedAt: expect.any(String), latencyMs: expect.any(Number), statusCode: 500, error: 'HTTP 500', responseBody: 'nope', outcome: 'dead' },
    ]);
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({ id, state: 'pending' });
    expect(await deliveries()).toMatchObject([{ state: 'delivered', attempts: 2 }]);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });
});
