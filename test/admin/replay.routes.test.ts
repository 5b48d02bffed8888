import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import pino from 'pino';
import request from 'supertest';
import type { Subscriber } from '../../src/config/config';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import * as replayService from '../../src/delivery/replay.service';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, BILLER_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase, testEngine } from '../support/database';
import { type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

let database: TestDatabase;
let ledger: TestSubscriber;
let notifier: TestSubscriber;
let apps: TestApps;
let subscribers: Subscriber[];

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

function worker() {
  return new DeliveryDispatcher({ db: database.handle.db, clock: apps.deps.clock, logger: pino({ level: 'silent' }), subscribers, workers: 4, random: () => 0.5 });
}

/** Five biller callbacks, one minute apart: R0 … R4. */
async function seed(): Promise<void> {
  for (let n = 0; n < 5; n++) {
    apps.deps.clock.advance(60_000);
    await request(apps.publicApp).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=R${n}`).expect(200);
  }
  await worker().processDue();
}

const admin = (path: string) => request(apps.adminApp).post(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
const references = (hook: TestSubscriber) => hook.received.map((r) => (JSON.parse(r.body) as { data: { reference: string } }).data.reference);

async function eventIds(): Promise<string[]> {
  const rows = await database.handle.db.selectFrom('events').select('id').orderBy('created_at').execute();
  return rows.map((r) => r.id);
}

async function deliveryCount(): Promise<number> {
  return (await database.handle.db.selectFrom('deliveries').select('id').execute()).length;
}

describe('POST /admin/events/:id/replay', () => {
  it('queues the event again for one subscriber, with the same webhook-id', async () => {
    await seed();
    const [first] = await eventIds();

    const res = await admin(`/admin/events/${first}/replay`).send({ subscribers: ['ledger'] });
    await worker().processDue();

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ deliveries: 1 });
    // Different references go out concurrently, so only the replay's place (after them) is fixed.
    expect(references(ledger).slice(0, 5).sort()).toEqual(['R0', 'R1', 'R2', 'R3', 'R4']);
    expect(references(ledger).slice(5)).toEqual(['R0']);
    expect(references(notifier)).toHaveLength(5);
    const ids = ledger.received.filter((r) => r.headers['webhook-id'] === first);
    expect(ids).toHaveLength(2);
  });

  it('queues it for every subscriber when none is named', async () => {
    await seed();
    const [first] = await eventIds();

    const res = await admin(`/admin/events/${first}/replay`).send({});

    expect(res.body).toEqual({ deliveries: 2 });
  });

  it('sends an event again after its delivery went dead', async () => {
    subscribers = [subscriberConfig(ledger.url, { id: 'ledger', retrySchedule: [] })];
    apps = buildApps(database, buildConfig({ subscribers }));
    ledger.reply = (_req, n) => (n === 0 ? { status: 500 } : { status: 200 });
    apps.deps.clock.advance(1000);
    await request(apps.publicApp).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=D1`).expect(200);
    await worker().processDue();
    const [eventId] = await eventIds();

    await admin(`/admin/events/${eventId}/replay`).send({}).expect(202);
    await worker().processDue();

    const states = await database.handle.db.selectFrom('deliveries').select('state').orderBy('id').execute();
    expect(states.map((s) => s.state)).toEqual(['dead', 'delivered']);
    expect(ledger.received).toHaveLength(2);
  });

  it('changes nothing on a dry run, and refuses a filter', async () => {
    await seed();
    const [first] = await eventIds();
    const before = await deliveryCount();

    const dry = await admin(`/admin/events/${first}/replay`).send({ dryRun: true });
    const filtered = await admin(`/admin/events/${first}/replay`).send({ filter: { status: 'SUCCESS' } });

    expect(dry.body).toEqual({ deliveries: 2, dryRun: true });
    expect(filtered.status).toBe(400);
    expect(filtered.body.error.message).toBe('filter is not a known property');
    expect(await deliveryCount()).toBe(before);
  });

  it('answers 404 for an unknown event and 400 for an unknown subscriber', async () => {
    await seed();
    const [first] = await eventIds();

    const missing = await admin('/admin/events/evt_none/replay').send({});
    const unknown = await admin(`/admin/events/${first}/replay`).send({ subscribers: ['nobody'] });

    expect(missing.status).toBe(404);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: { code: 'invalid_request', message: 'no subscriber "nobody"' } });
  });
});

describe('POST /admin/replay', () => {
  it('replays the events of a time range to the named subscriber, in order', async () => {
    await seed();
    const rows = await database.handle.db.selectFrom('events').select('created_at').orderBy('created_at').execute();
    const since = rows[1]?.created_at;
    const until = rows[3]?.created_at;

    const res = await admin('/admin/replay').send({ filter: { since, until }, subscribers: ['ledger'] });
    await worker().processDue();

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ events: 2, deliveries: 2 });
    expect(references(ledger).slice(5).sort()).toEqual(['R1', 'R2']);
    expect(references(notifier)).toHaveLength(5);
  });

  it('changes nothing on a dry run, and says what it would do', async () => {
    await seed();
    const before = await deliveryCount();

    const res = await admin('/admin/replay').send({ filter: { source: 'biller-a', status: 'SUCCESS' }, dryRun: true });

    expect(res.body).toEqual({ events: 5, deliveries: 10, dryRun: true });
    expect(await deliveryCount()).toBe(before);
  });

  it('replays every event to every subscriber with "all": true and no filter', async () => {
    await seed();
    const before = await deliveryCount();

    const res = await admin('/admin/replay').send({ all: true });

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ events: 5, deliveries: 10 });
    expect(await deliveryCount()).toBe(before + 10);
  });

  it.each([
    ['no body', undefined],
    ['an empty body', {}],
    ['an empty filter', { filter: {} }],
    ['"all": false and no filter', { all: false, subscribers: ['ledger'] }],
  ])('answers 400 and queues nothing for %s, naming "all"', async (_what, body) => {
    await seed();
    const before = await deliveryCount();

    const res = await (body === undefined ? admin('/admin/replay') : admin('/admin/replay').send(body));

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: 'invalid_request',
        message: 'filter is required (any of source, channel, reference, status, since, until); to replay every event, send "all": true instead',
      },
    });
    expect(await deliveryCount()).toBe(before);
  });

  it('answers 400 for "all": true together with a filter, and queues nothing', async () => {
    await seed();
    const before = await deliveryCount();

    const res = await admin('/admin/replay').send({ all: true, filter: { status: 'SUCCESS' } });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message: 'all replays every event: give it without a filter' } });
    expect(await deliveryCount()).toBe(before);
  });

  it.each([
    [{ all: 'yes' }, 'all must be boolean'],
    [{ filter: { status: 'DONE' } }, 'filter.status must be equal to one of the allowed values'],
    [{ filter: { since: 'yesterday' } }, 'filter.since must match format "date-time"'],
    [{ subscribers: 'ledger' }, 'subscribers must be array'],
    [{ colour: 'red' }, 'colour is not a known property'],
  ])('answers 400 for %j', async (body, message) => {
    const res = await admin('/admin/replay').send(body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message } });
  });
});

describe('replayEvents', () => {
  it('works in batches and reports progress after each', async () => {
    await seed();
    const progress: unknown[] = [];

    const counts = await replayService.replayEvents(database.handle.db, apps.deps.clock, subscribers, {}, {
      subscriberIds: ['notifier'],
      batchSize: 2,
      onProgress: (c) => progress.push(c),
    });

    expect(counts).toEqual({ events: 5, deliveries: 5 });
    expect(progress).toEqual([
      { events: 2, deliveries: 2 },
      { events: 4, deliveries: 4 },
      { events: 5, deliveries: 5 },
    ]);
  });
});

describe('a bulk replay on PostgreSQL', () => {
  const onPostgres = testEngine() === 'postgres' ? it : it.skip;

  onPostgres('refreshes the statistics of deliveries, so the claim is planned knowing of the new backlog', async () => {
    const at = apps.deps.clock.now().toISOString();
    const events = Array.from({ length: 500 }, (_, n) => ({
      id: `evt_bulk${String(n).padStart(4, '0')}`,
      created_at: at,
      source_id: 'biller-a',
      channel: 'biller',
      reference: `BULK-${n}`,
      status: 'SUCCESS',
      provider_reference: null,
      provider_status: '0',
      amount_value: null,
      amount_currency: null,
      occurred_at: null,
      received_at: at,
      details: '{}',
      inbound_id: null,
      transaction_seq: 1,
    }));
    await database.handle.db.insertInto('events').values(events).execute();

    const counts = await replayService.replayEvents(database.handle.db, apps.deps.clock, subscribers, {});

    expect(counts).toEqual({ events: 500, deliveries: 1000 });
    const analyzed = await sql<{ last_analyze: Date | null }>`
      select last_analyze from pg_stat_user_tables where relname = 'deliveries' and schemaname = current_schema()`.execute(database.handle.db);
    expect(analyzed.rows[0]?.last_analyze).toBeInstanceOf(Date);
  });
});

