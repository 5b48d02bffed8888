import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import { Metrics } from '../../src/admin/metrics';
import { createAdminApp } from '../../src/app';
import { openDatabase } from '../../src/db/connect';
import * as pauseRepository from '../../src/delivery/subscriber-pause.repository';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import { buildApps } from '../support/app';
import { testClock } from '../support/clock';
import { ADMIN_TOKEN, BILLER_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { storeEvent } from '../support/store-event';
import { type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

let database: TestDatabase;
let hook: TestSubscriber;

beforeAll(async () => {
  database = await createTestDatabase();
  hook = await startSubscriber();
});
afterAll(async () => {
  await hook.close();
  await database.close();
});

/** Prometheus text format: `# HELP`/`# TYPE` lines and `name{labels} value` samples (NaN in any case, as Go parses it). */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]Inf)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    samples.set(match[1] ?? '', Number(match[2]));
  }
  return samples;
}

describe('GET /metrics', () => {
  it('answers 401 without the admin token', async () => {
    const { adminApp } = buildApps(database);

    await request(adminApp).get('/metrics').expect(401);
  });

  it('serves Prometheus text whose counters move as requests arrive and deliveries go out', async () => {
    const subscribers = [subscriberConfig(hook.url, { retrySchedule: [5] })];
    hook.reply = (_req, n) => (n === 0 ? { status: 500 } : { status: 200 });
    const apps = buildApps(database, buildConfig({ subscribers }));
    const dispatcher = new DeliveryDispatcher({
      db: database.handle.db,
      clock: apps.deps.clock,
      logger: pino({ level: 'silent' }),
      subscribers,
      workers: 2,
      random: () => 0.5,
      metrics: apps.deps.metrics,
    });
    const scrape = async () => {
      const res = await request(apps.adminApp).get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return parsePrometheus(res.text);
    };
    const url = (refid: string, token = BILLER_TOKEN) => `/callbacks/biller/biller-a/${token}?status=0&refid=${refid}`;

    const before = await scrape();
    await request(apps.publicApp).get(url('M1')).expect(200);
    await request(apps.publicApp).get(url('M1')).expect(200);
    await request(apps.publicApp).get(url('M2', 'wrong')).expect(403);
    apps.deps.clock.advance(30_000);
    const waiting = await scrape();
    await dispatcher.processDue();
    apps.deps.clock.advance(5_000);
    await dispatcher.processDue();
    const after = await scrape();

    expect(before.get('receiver_outbox_pending_deliveries')).toBe(0);
    expect(waiting.get('receiver_inbound_requests_total{source="biller-a",channel="biller",outcome="accepted"}')).toBe(1);
    expect(waiting.get('receiver_inbound_requests_total{source="biller-a",channel="biller",outcome="duplicate"}')).toBe(1);
    expect(waiting.get('receiver_inbound_requests_total{source="biller-a",channel="biller",outcome="rejected_bad_credentials"}')).toBe(1);
    expect(waiting.get('receiver_events_total{channel="biller",status="SUCCESS"}')).toBe(1);
    expect(waiting.get('receiver_ingest_duration_seconds_count{channel="biller"}')).toBe(2);
    expect(waiting.get('receiver_outbox_pending_deliveries')).toBe(1);
    expect(waiting.get('receiver_outbox_oldest_pending_age_seconds')).toBe(30);
    expect(after.get('receiver_delivery_attempts_total{subscriber="ledger",outcome="retry"}')).toBe(1);
    expect(after.get('receiver_delivery_attempts_total{subscriber="ledger",outcome="delivered"}')).toBe(1);
    expect(after.get('receiver_delivery_attempt_duration_seconds_count{subscriber="ledger"}')).toBe(2);
    expect(after.get('receiver_outbox_pending_deliveries')).toBe(0);
    expect(after.get('receiver_outbox_oldest_pending_age_seconds')).toBe(0);
  });

  it('includes the default Node metrics when asked to', async () => {
    const metrics = new Metrics(database.handle.db, { now: () => new Date() }, { defaultMetrics: true });

    const samples = parsePrometheus(await metrics.registry.metrics());

    expect(samples.has('process_cpu_user_seconds_total')).toBe(true);
    expect([...samples.keys()].some((k) => k.startsWith('nodejs_heap_size_total_bytes'))).toBe(true);
  });

  it('never labels a sample with what an unknown caller sent', async () => {
    const apps = buildApps(database);

    await request(apps.publicApp).get('/callbacks/biller/made-up-source?status=0&refid=X').expect(404);
    const res = await request(apps.adminApp).get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`);

    expect(res.text).not.toContain('made-up-source');
    expect(res.text).toContain('receiver_inbound_requests_total{source="",channel="biller",outcome="rejected_unknown_source"} 1');
  });
});

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

describe('GET /metrics, gauges from the database', () => {
  it('counts pending and dead deliveries, in all and for each configured subscriber, with its oldest pending age and pause', async () => {
    // Arrange: ledger has one pending and one dead delivery, notifier two pending and is paused, and
    // "retired" (no longer configured) one dead.
    await clearTables(database);
    const clock = testClock();
    const ledger = subscriberConfig(hook.url, { id: 'ledger' });
    const notifier = subscriberConfig(hook.url, { id: 'notifier' });
    const retired = subscriberConfig(hook.url, { id: 'retired' });
    await storeEvent(database.handle.db, clock, [ledger, notifier, retired], 'A', 'SUCCESS');
    clock.advance(30_000);
    await storeEvent(database.handle.db, clock, [ledger, notifier], 'B', 'SUCCESS');
    const db = database.handle.db;
    await db.updateTable('deliveries').set({ state: 'dead' }).where('reference', '=', 'A').where('subscriber_id', 'in', ['ledger', 'retired']).execute();
    await pauseRepository.pause(db, 'notifier', clock.now().toISOString());
    const apps = buildApps(database, buildConfig({ subscribers: [ledger, notifier] }));
    apps.deps.clock.set(new Date(clock.now().getTime() + 60_000));

    // Act
    const res = await request(apps.adminApp).get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);

    // Assert
    const samples = parsePrometheus(res.text);
    const picked = Object.fromEntries(
      [...samples].filter(([key]) => /^receiver_(deliveries|subscriber_|outbox_)/.test(key)),
    );
    expect(picked).toEqual({
      'receiver_deliveries{state="pending"}': 3,
      'receiver_deliveries{state="dead"}': 2,
      receiver_outbox_pending_deliveries: 3,
      receiver_outbox_oldest_pending_age_seconds: 90.001,
      'receiver_subscriber_deliveries{subscriber="ledger",state="pending"}': 1,
      'receiver_subscriber_deliveries{subscriber="ledger",state="dead"}': 1,
      'receiver_subscriber_deliveries{subscriber="notifier",state="pending"}': 2,
      'receiver_subscriber_deliveries{subscriber="notifier",state="dead"}': 0,
      'receiver_subscriber_oldest_pending_age_seconds{subscriber="ledger"}': 60,
      'receiver_subscriber_oldest_pending_age_seconds{subscriber="notifier"}': 90.001,
      'receiver_subscriber_paused{subscriber="ledger"}': 0,
      'receiver_subscriber_paused{subscriber="notifier"}': 1,
    });
    expect(res.text).not.toContain('retired');
  });

  it('gives the same database gauges on another process sharing the database', async () => {
    const clock = testClock();
    const ids = { subscribers: ['ledger', 'notifier'], ready: true };
    const here = new Metrics(database.handle.db, clock);
    const other = database.reopen();
    try {
      const there = new Metrics(other.db, clock);
      here.eventCreated('biller', 'SUCCESS');

      const fromDatabase = (text: string) => [...parsePrometheus(text)].filter(([key]) => /^receiver_(deliveries|subscriber_)/.test(key));
      const [mine, theirs] = [await here.scrape(ids), await there.scrape(ids)];

      expect(fromDatabase(mine).length).toBeGreaterThan(0);
      expect(fromDatabase(theirs)).toEqual(fromDatabase(mine));
      expect(theirs).not.toContain('receiver_events_total{');
    } finally {
      await other.close();
    }
  });

  it('keeps answering, with receiver_ready 0 and no database values, while the database does not answer', async () => {
    const apps = buildApps(database, buildConfig({ subscribers: [subscriberConfig(hook.url)] }));
    // Nothing listens on port 1: every query fails at once, on either engine's test run.
    const gone = openDatabase('postgres://receiver:receiver@127.0.0.1:1/nowhere', { onBackgroundError: () => undefined });
    const metrics = new Metrics(gone.db, apps.deps.clock);
    metrics.eventCreated('biller', 'SUCCESS');
    const adminApp = createAdminApp({ ...apps.deps, db: gone.db, health: gone.health, metrics });

    const res = await request(adminApp).get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    await gone.close();

    expect(res.status).toBe(200);
    const samples = parsePrometheus(res.text);
    expect(samples.get('receiver_ready')).toBe(0);
    expect(samples.get('receiver_events_total{channel="biller",status="SUCCESS"}')).toBe(1);
    expect(samples.get('receiver_outbox_pending_deliveries')).toBeNaN();
    expect([...samples.keys()].filter((key) => key.startsWith('receiver_subscriber_') || key.startsWith('receiver_deliveries'))).toEqual([]);
  });

  it('says it is ready, and which version runs on which Node.js', async () => {
    const apps = buildApps(database);
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };

    const res = await request(apps.adminApp).get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);

    const samples = parsePrometheus(res.text);
    expect(samples.get('receiver_ready')).toBe(1);
    expect(samples.get(`receiver_build_info{version="${version}",node="${process.version}"}`)).toBe(1);
  });
});

describe('the /metrics text', () => {
  async function fullScrape(): Promise<string> {
    const metrics = new Metrics(database.handle.db, testClock(), { defaultMetrics: true });
    metrics.inboundRequest('biller-a', 'biller', 'accepted');
    metrics.deliveryAttempt('ledger', 'delivered', 0.1);
    return metrics.scrape({ subscribers: ['ledger'], ready: true });
  }

  it('names no gauge as a counter (…_total), keeping the Node.js gauges by type', async () => {
    const text = await fullScrape();

    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name, type }));
    expect(types.filter(({ name, type }) => type !== 'counter' && name?.endsWith('_total'))).toEqual([]);
    expect(types.filter(({ type }) => type === 'counter').every(({ name }) => name?.endsWith('_total'))).toBe(true);
    expect(types.map(({ name }) => name)).toEqual(expect.arrayContaining(['nodejs_active_handles', 'nodejs_active_requests', 'nodejs_active_resources']));
  });

  (PROMTOOL ? it : it.skip)('passes promtool check metrics', async () => {
    const text = await fullScrape();

    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });

    expect({ status: check.status, output: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, output: '' });
  });
});
