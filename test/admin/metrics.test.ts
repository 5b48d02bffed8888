import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import { Metrics } from '../../src/admin/metrics';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import { buildApps } from '../support/app';
import { ADMIN_TOKEN, BILLER_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, createTestDatabase } from '../support/database';
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
