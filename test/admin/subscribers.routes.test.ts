import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Subscriber } from '../../src/config/config';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { storeEvent } from '../support/store-event';
import { OLD_SECRET, SECRET, type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

let database: TestDatabase;
let ledger: TestSubscriber;
let notifier: TestSubscriber;
let subscribers: Subscriber[];
let apps: TestApps;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  ledger = await startSubscriber();
  notifier = await startSubscriber();
  subscribers = [
    subscriberConfig(ledger.url, { id: 'ledger', secrets: [SECRET, OLD_SECRET] }),
    // Credentials in the URL, as some subscribers take them: never shown.
    subscriberConfig(notifier.url.replace('http://', 'http://hook-user:hook-password@') + '?token=hook-token&v=2', { id: 'notifier' }),
  ];
  apps = buildApps(database, buildConfig({ subscribers }));
});
afterEach(async () => {
  await ledger.close();
  await notifier.close();
});

const get = (path: string, on = apps) => request(on.adminApp).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
const post = (path: string, on = apps) => request(on.adminApp).post(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

/** Standard Webhooks verification, written from the spec with node's crypto. */
function verifies(secret: string, headers: TestSubscriber['received'][number]['headers'], body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`).digest('base64');
  return String(headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
}

async function tableSizes() {
  const db = database.handle.db;
  const count = async (table: 'events' | 'deliveries' | 'delivery_attempts' | 'inbound_records') => (await db.selectFrom(table).select('id').execute()).length;
  return { events: await count('events'), deliveries: await count('deliveries'), attempts: await count('delivery_attempts'), inbound: await count('inbound_records') };
}

describe('GET /admin/subscribers', () => {
  it('lists the configured subscribers with their backlog, pause and URL without credentials', async () => {
    // Arrange: ledger has two pending deliveries (the oldest from T1) and a dead one; notifier none.
    const clock = apps.deps.clock;
    const firstAt = new Date(clock.now().getTime() + 1).toISOString();
    await storeEvent(database.handle.db, clock, [subscribers[0] as Subscriber], 'T1', 'SUCCESS');
    await storeEvent(database.handle.db, clock, [subscribers[0] as Subscriber], 'T2', 'SUCCESS');
    await storeEvent(database.handle.db, clock, [subscribers[0] as Subscriber], 'T3', 'FAILED');
    await database.handle.db.updateTable('deliveries').set({ state: 'dead' }).where('reference', '=', 'T3').execute();
    await post('/admin/subscribers/notifier/pause').expect(200);

    // Act
    const res = await get('/admin/subscribers');

    // Assert
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        { id: 'ledger', url: ledger.url, paused: false, pausedAt: null, pending: 2, dead: 1, oldestPendingAt: firstAt },
        {
          id: 'notifier',
          url: `${notifier.url.replace('http://', 'http://[REDACTED]@')}?token=[REDACTED]&v=[REDACTED]`,
          paused: true,
          pausedAt: clock.now().toISOString(),
          pending: 0,
          dead: 0,
          oldestPendingAt: null,
        },
      ],
      nextCursor: null,
    });
    expect(res.text).not.toContain('hook-password');
    expect(res.text).not.toContain('hook-token');
    expect(res.text).not.toContain('whsec_');
  });

  it('refuses a query parameter, as the lists do', async () => {
    const res = await get('/admin/subscribers?state=paused');

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it('answers 401 without the admin token', async () => {
    await request(apps.adminApp).get('/admin/subscribers').expect(401);
    await request(apps.adminApp).post('/admin/subscribers/ledger/pause').expect(401);
    await request(apps.adminApp).post('/admin/subscribers/ledger/test').expect(401);
  });
});

describe('POST /admin/subscribers/:id/pause and /resume', () => {
  it('keeps the pause in the database, so another process sees it, until resumed', async () => {
    const other = database.reopen();
    try {
      const replica = buildApps({ ...database, handle: other }, buildConfig({ subscribers }));

      const paused = await post('/admin/subscribers/ledger/pause');
      const again = await post('/admin/subscribers/ledger/pause');
      const seenElsewhere = await get('/admin/subscribers', replica);
      const resumed = await post('/admin/subscribers/ledger/resume', replica);
      const seenHere = await get('/admin/subscribers');

      expect(paused.status).toBe(200);
      expect(paused.body).toMatchObject({ id: 'ledger', paused: true, pausedAt: apps.deps.clock.now().toISOString() });
      // Pausing again changes nothing, not even the time.
      expect(again.body).toEqual(paused.body);
      expect(seenElsewhere.body.items[0]).toMatchObject({ id: 'ledger', paused: true });
      expect(resumed.status).toBe(200);
      expect(resumed.body).toMatchObject({ id: 'ledger', paused: false, pausedAt: null });
      expect(seenHere.body.items[0]).toMatchObject({ id: 'ledger', paused: false });
    } finally {
      await other.close();
    }
  });

  it('answers 404 for a subscriber the configuration does not have, and stores nothing', async () => {
    const pause = await post('/admin/subscribers/nobody/pause');
    const resume = await post('/admin/subscribers/nobody/resume');

    expect(pause.status).toBe(404);
    expect(pause.body).toEqual({ error: { code: 'not_found', message: 'no subscriber nobody is configured' } });
    expect(resume.status).toBe(404);
    expect(await database.handle.db.selectFrom('subscriber_pauses').selectAll().execute()).toEqual([]);
  });
});

describe('POST /admin/subscribers/:id/test', () => {
  it('sends a signed payment.test event, as a delivery is sent, and answers what the subscriber said', async () => {
    ledger.reply = () => ({ status: 200, body: 'verified' });

    const res = await post('/admin/subscribers/ledger/test');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.stringMatching(/^tst_[0-9A-Z]{26}$/), delivered: true, status: 200, latencyMs: expect.any(Number), responseBody: 'verified' });
    expect(ledger.received).toHaveLength(1);
    const [{ headers, body }] = ledger.received as [TestSubscriber['received'][number]];
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toBe(res.body.id);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(apps.deps.clock.now().getTime() / 1000)));
    expect(verifies(SECRET, headers, body)).toBe(true);
    expect(verifies(OLD_SECRET, headers, body)).toBe(true);
    expect(JSON.parse(body)).toEqual({
      id: res.body.id,
      type: 'payment.test',
      createdAt: apps.deps.clock.now().toISOString(),
      data: { subscriber: 'ledger', message: expect.any(String) },
    });
    expect(notifier.received).toHaveLength(0);
  });

  it('stores nothing: no event, no delivery, no attempt', async () => {
    ledger.reply = () => ({ status: 500 });

    await post('/admin/subscribers/ledger/test').expect(200);

    expect(await tableSizes()).toEqual({ events: 0, deliveries: 0, attempts: 0, inbound: 0 });
  });

  it('reports a refusal with its status and the first 4 KiB of the answer', async () => {
    ledger.reply = () => ({ status: 401, body: 'x'.repeat(10_000) });

    const res = await post('/admin/subscribers/ledger/test');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ delivered: false, status: 401, error: 'HTTP 401' });
    expect(res.body.responseBody).toBe('x'.repeat(4096));
  });

  it('gives up after the subscriber\'s own timeout', async () => {
    const hanging = [subscriberConfig(ledger.url, { id: 'ledger', timeoutSeconds: 0.2 })];
    const quick = buildApps(database, buildConfig({ subscribers: hanging }));
    ledger.reply = () => ({ status: 200, delayMs: 3000 });

    const res = await post('/admin/subscribers/ledger/test', quick);

    expect(res.body).toMatchObject({ delivered: false, status: null, error: 'timeout', responseBody: null });
    expect(res.body.latencyMs).toBeGreaterThanOrEqual(150);
    expect(res.body.latencyMs).toBeLessThan(2000);
  });

  it('reports a refused connection', async () => {
    // A port that was free a moment ago: nothing listens there now.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const closed = buildApps(database, buildConfig({ subscribers: [subscriberConfig(`http://127.0.0.1:${port}/hooks`, { id: 'ledger' })] }));

    const res = await post('/admin/subscribers/ledger/test', closed);

    expect(res.body).toMatchObject({ delivered: false, status: null, error: 'ECONNREFUSED', responseBody: null });
  });

  it('answers 404 for a subscriber the configuration does not have', async () => {
    const res = await post('/admin/subscribers/nobody/test');

    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
