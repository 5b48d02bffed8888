import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import { createAdminApp } from '../../src/app';
import type { Subscriber } from '../../src/config/config';
import type { Db } from '../../src/db/database';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import type { Status } from '../../src/events/event';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase, testEngine } from '../support/database';
import { storeEvent } from '../support/store-event';
import { type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

// A paused subscriber's deliveries stay pending, in order, on every process, until it is resumed;
// every other subscriber keeps getting its own meanwhile.

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
  subscribers = [subscriberConfig(ledger.url, { id: 'ledger' }), subscriberConfig(notifier.url, { id: 'notifier' })];
  apps = buildApps(database, buildConfig({ subscribers }));
});
afterEach(async () => {
  await ledger.close();
  await notifier.close();
});

function dispatcher(configured: readonly Subscriber[] = subscribers, db: Db = database.handle.db, pollMs?: number) {
  return new DeliveryDispatcher({ db, clock: apps.deps.clock, logger: pino({ level: 'silent' }), subscribers: configured, workers: 4, random: () => 0.5, ...(pollMs ? { pollMs } : {}) });
}

const admin = (path: string, app = apps.adminApp) => request(app).post(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
const store = (reference: string, status: Status) => storeEvent(database.handle.db, apps.deps.clock, subscribers, reference, status);
const received = (hook: TestSubscriber) =>
  hook.received.map((r) => {
    const { data } = JSON.parse(r.body) as { data: { reference: string; status: string } };
    return `${data.reference}:${data.status}`;
  });

async function ledgerDeliveries() {
  return database.handle.db.selectFrom('deliveries').select(['reference', 'state', 'attempts']).where('subscriber_id', '=', 'ledger').orderBy('id').execute();
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a paused subscriber', () => {
  it('gets nothing until resumed, while another keeps getting its deliveries; then gets them in order', async () => {
    await admin('/admin/subscribers/ledger/pause').expect(200);
    await store('T1', 'PENDING');
    await store('T1', 'SUCCESS');
    await store('T2', 'SUCCESS');
    const worker = dispatcher();

    await worker.processDue();
    apps.deps.clock.advance(3_600_000);
    await worker.processDue();

    expect(received(notifier)).toEqual(expect.arrayContaining(['T1:PENDING', 'T1:SUCCESS', 'T2:SUCCESS']));
    expect(received(notifier).indexOf('T1:PENDING')).toBeLessThan(received(notifier).indexOf('T1:SUCCESS'));
    expect(ledger.received).toHaveLength(0);
    expect(await ledgerDeliveries()).toEqual([
      { reference: 'T1', state: 'pending', attempts: 0 },
      { reference: 'T1', state: 'pending', attempts: 0 },
      { reference: 'T2', state: 'pending', attempts: 0 },
    ]);

    await admin('/admin/subscribers/ledger/resume').expect(200);
    await worker.processDue();

    expect(received(ledger)).toEqual(expect.arrayContaining(['T1:PENDING', 'T1:SUCCESS', 'T2:SUCCESS']));
    expect(received(ledger).indexOf('T1:PENDING')).toBeLessThan(received(ledger).indexOf('T1:SUCCESS'));
    expect((await ledgerDeliveries()).map((d) => d.state)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('is honoured by a process other than the one it was paused through', async () => {
    // On PostgreSQL the pause goes through another pool, as another process would. SQLite is one
    // process's engine (see delivery.worker.test.ts): there the other app shares the connection.
    const other = testEngine() === 'postgres' ? database.reopen() : { ...database.handle, close: () => Promise.resolve() };
    try {
      const replica = buildApps({ ...database, handle: other }, buildConfig({ subscribers }));
      await admin('/admin/subscribers/ledger/pause', replica.adminApp).expect(200);
      await store('T1', 'SUCCESS');

      await dispatcher().processDue();

      expect(ledger.received).toHaveLength(0);
      expect(received(notifier)).toEqual(['T1:SUCCESS']);
    } finally {
      await other.close();
    }
  });

  it('is left alone by a process whose configuration does not know it, instead of being made dead', async () => {
    await admin('/admin/subscribers/ledger/pause').expect(200);
    await store('T1', 'SUCCESS');
    const notifierOnly = subscribers.filter((s) => s.id === 'notifier');

    await dispatcher(notifierOnly).processDue();

    expect(await ledgerDeliveries()).toEqual([{ reference: 'T1', state: 'pending', attempts: 0 }]);
    expect(received(notifier)).toEqual(['T1:SUCCESS']);
  });

  it('gets its deliveries at once when resumed through this process, without waiting for the next poll', async () => {
    const worker = dispatcher(subscribers, database.handle.db, 600_000);
    const adminApp = createAdminApp({ ...apps.deps, outbox: worker });
    worker.start();
    try {
      await admin('/admin/subscribers/ledger/pause', adminApp).expect(200);
      await store('T1', 'SUCCESS');
      worker.wake();
      await until(() => notifier.received.length === 1);
      expect(ledger.received).toHaveLength(0);

      await admin('/admin/subscribers/ledger/resume', adminApp).expect(200);
      await until(() => ledger.received.length === 1, 2000);

      expect(received(ledger)).toEqual(['T1:SUCCESS']);
    } finally {
      await worker.stop(1000);
    }
  });
});
