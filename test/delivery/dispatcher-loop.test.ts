import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import { Metrics } from '../../src/admin/metrics';
import { createPublicApp } from '../../src/app';
import { systemClock } from '../../src/clock';
import * as deliveryRepository from '../../src/delivery/delivery.repository';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import { BILLER_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

// These run the dispatcher's own loop on the real clock, as the server does.
let database: TestDatabase;
let hook: TestSubscriber;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  hook = await startSubscriber();
});
afterEach(async () => {
  await hook.close();
});

async function waitFor(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function setup(pollMs: number) {
  const subscribers = [subscriberConfig(hook.url)];
  const config = buildConfig({ subscribers });
  const logger = pino({ level: 'silent' });
  const dispatcher = new DeliveryDispatcher({ db: database.handle.db, clock: systemClock, logger, subscribers, workers: 2, pollMs });
  const metrics = new Metrics(database.handle.db, systemClock);
  const app = createPublicApp({ config, db: database.handle.db, writes: database.handle.writes, health: database.handle.health, clock: systemClock, logger, outbox: dispatcher, metrics });
  return { dispatcher, app };
}

describe('the delivery loop', () => {
  it('forwards an accepted callback as soon as it is stored, without waiting for a poll', async () => {
    // A poll a minute apart: only the wake-up after commit can deliver within the test's time.
    const { dispatcher, app } = setup(60_000);
    dispatcher.start();
    try {
      await request(app).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=LOOP-1`).expect(200, 'OK');

      await waitFor(() => hook.received.length === 1, 'the subscriber to be called');

      expect(JSON.parse(hook.received[0]?.body ?? '{}')).toMatchObject({ data: { reference: 'LOOP-1', status: 'SUCCESS' } });
    } finally {
      await dispatcher.stop(1_000);
    }
  });

  it('does not spin while a delivery waits behind a retrying one', async () => {
    const { dispatcher, app } = setup(60_000);
    hook.reply = () => ({ status: 503, headers: { 'Retry-After': '600' } });
    await request(app).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=1&refid=LOOP-4`).expect(200);
    const claims = jest.spyOn(deliveryRepository, 'claimDue');
    dispatcher.start();
    try {
      await waitFor(() => hook.received.length === 1, 'the first attempt');
      // A second report of the same reference now waits behind the one retrying in 10 minutes.
      await request(app).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=LOOP-4`).expect(200);
      const before = claims.mock.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 300));

      // A spinning timer would claim every 10 ms; woken rounds and the minute's poll are all there is.
      expect(claims.mock.calls.length - before).toBeLessThan(5);
      expect(hook.received).toHaveLength(1);
    } finally {
      claims.mockRestore();
      await dispatcher.stop(1_000);
    }
  });

  it('lets an attempt in flight finish on stop, and claims nothing after', async () => {
    const { dispatcher, app } = setup(60_000);
    hook.reply = () => ({ status: 200, delayMs: 300 });
    dispatcher.start();
    await request(app).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=LOOP-2`).expect(200);
    await waitFor(() => hook.received.length === 1, 'the attempt to start');

    await dispatcher.stop(5_000);
    await request(app).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=LOOP-3`).expect(200);

    const rows = await database.handle.db.selectFrom('deliveries').select(['reference', 'state']).orderBy('reference').execute();
    expect(rows).toEqual([
      { reference: 'LOOP-2', state: 'delivered' },
      { reference: 'LOOP-3', state: 'pending' },
    ]);
  });
});
