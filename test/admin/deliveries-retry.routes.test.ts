import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import type { Subscriber } from '../../src/config/config';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import * as redriveService from '../../src/delivery/redrive.service';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { storeEvent } from '../support/store-event';
import { type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

let database: TestDatabase;
let ledger: TestSubscriber;
let notifier: TestSubscriber;
let subscribers: Subscriber[];
let apps: TestApps;
/** When each reference's deliveries were created: R0 … R4, one minute apart. */
let createdAt: string[];

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
  await seedDead();
});
afterEach(async () => {
  await ledger.close();
  await notifier.close();
});

function worker() {
  return new DeliveryDispatcher({ db: database.handle.db, clock: apps.deps.clock, logger: pino({ level: 'silent' }), subscribers, workers: 4, random: () => 0.5 });
}

/** Five events for both subscribers, one minute apart; both answer 410 Gone, so all ten deliveries die at once. */
async function seedDead(): Promise<void> {
  createdAt = [];
  // A subscriber since removed from the configuration left a dead delivery too.
  const retired = subscriberConfig('http://127.0.0.1:9/gone', { id: 'retired' });
  for (let n = 0; n < 5; n++) {
    apps.deps.clock.advance(60_000);
    await storeEvent(database.handle.db, apps.deps.clock, n === 0 ? [...subscribers, retired] : subscribers, `R${n}`, 'SUCCESS');
    createdAt.push(apps.deps.clock.now().toISOString());
  }
  ledger.reply = () => ({ status: 410 });
  notifier.reply = () => ({ status: 410 });
  await worker().processDue();
  await database.handle.db.updateTable('deliveries').set({ state: 'dead' }).where('subscriber_id', '=', 'retired').execute();
  ledger.reply = () => ({ status: 200 });
  notifier.reply = () => ({ status: 200 });
  ledger.received.length = 0;
  notifier.received.length = 0;
}

const retry = (body: unknown) => request(apps.adminApp).post('/admin/deliveries/retry').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body as object);

async function states(): Promise<Record<string, string[]>> {
  const rows = await database.handle.db.selectFrom('deliveries').select(['subscriber_id', 'reference', 'state']).orderBy('subscriber_id').orderBy('reference').execute();
  const bySubscriber: Record<string, string[]> = {};
  for (const row of rows) (bySubscriber[row.subscriber_id] ??= []).push(`${row.reference}:${row.state}`);
  return bySubscriber;
}

const references = (hook: TestSubscriber) => hook.received.map((r) => (JSON.parse(r.body) as { data: { reference: string } }).data.reference).sort();

describe('POST /admin/deliveries/retry', () => {
  it('makes one subscriber\'s dead deliveries pending again, due now, and they go out', async () => {
    const res = await retry({ subscriber: 'ledger' });

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ deliveries: 5, dryRun: false });
    expect(await states()).toEqual({
      ledger: ['R0:pending', 'R1:pending', 'R2:pending', 'R3:pending', 'R4:pending'],
      notifier: ['R0:dead', 'R1:dead', 'R2:dead', 'R3:dead', 'R4:dead'],
      retired: ['R0:dead'],
    });
    const due = await database.handle.db.selectFrom('deliveries').select('next_attempt_at').where('state', '=', 'pending').execute();
    expect(new Set(due.map((row) => row.next_attempt_at))).toEqual(new Set([apps.deps.clock.now().toISOString()]));

    await worker().processDue();

    expect(references(ledger)).toEqual(['R0', 'R1', 'R2', 'R3', 'R4']);
    expect(notifier.received).toHaveLength(0);
    expect((await states()).ledger).toEqual(['R0:delivered', 'R1:delivered', 'R2:delivered', 'R3:delivered', 'R4:delivered']);
  });

  it('narrows by creation time, since inclusive and until exclusive', async () => {
    const res = await retry({ since: createdAt[1], until: createdAt[3] });

    expect(res.body).toEqual({ deliveries: 4, dryRun: false });
    expect(await states()).toEqual({
      ledger: ['R0:dead', 'R1:pending', 'R2:pending', 'R3:dead', 'R4:dead'],
      notifier: ['R0:dead', 'R1:pending', 'R2:pending', 'R3:dead', 'R4:dead'],
      retired: ['R0:dead'],
    });
  });

  it('with dryRun counts what it would retry and changes nothing', async () => {
    const before = await states();

    const res = await retry({ subscriber: 'notifier', since: createdAt[2], dryRun: true });

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ deliveries: 3, dryRun: true });
    expect(await states()).toEqual(before);
  });

  it('retries every configured subscriber\'s dead deliveries only when told "all": true', async () => {
    const res = await retry({ all: true });

    expect(res.body).toEqual({ deliveries: 10, dryRun: false });
    // A subscriber no longer configured has nobody to send to: its delivery stays dead.
    expect((await states()).retired).toEqual(['R0:dead']);
  });

  it('leaves alone a delivery that is not dead', async () => {
    await retry({ subscriber: 'ledger', until: createdAt[1] }).expect(202);
    await worker().processDue();

    const res = await retry({ subscriber: 'ledger' });

    expect(res.body).toEqual({ deliveries: 4, dryRun: false });
    expect((await states()).ledger).toEqual(['R0:delivered', 'R1:pending', 'R2:pending', 'R3:pending', 'R4:pending']);
  });

  it.each([
    [{}, 'give subscriber, since or until, or all: true to retry every dead delivery'],
    [{ dryRun: true }, 'give subscriber, since or until, or all: true to retry every dead delivery'],
    [{ all: false }, 'give subscriber, since or until, or all: true to retry every dead delivery'],
    [{ all: true, subscriber: 'ledger' }, 'all cannot be combined with subscriber, since or until'],
    [{ subscriber: 'nobody' }, 'no subscriber nobody is configured'],
    [{ since: 'yesterday' }, 'since must match format "date-time"'],
    [{ state: 'pending' }, 'state is not a known property'],
  ])('answers 400 for %j and retries nothing', async (body, message) => {
    const before = await states();

    const res = await retry(body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message } });
    expect(await states()).toEqual(before);
  });
});

describe('retrying dead deliveries in bulk (the service the route and the CLI call)', () => {
  it('works in batches of batchSize, oldest first, and counts as it goes', async () => {
    const progress: number[] = [];

    const retried = await redriveService.retryDeadDeliveries(database.handle.db, apps.deps.clock, subscribers, { all: true }, {
      batchSize: 3,
      onProgress: (n) => progress.push(n),
    });

    expect(retried).toBe(10);
    expect(progress).toEqual([3, 6, 9, 10]);
  });
});
