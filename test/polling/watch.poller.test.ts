import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import pino from 'pino';
import { Metrics } from '../../src/admin/metrics';
import type { MmbcSource, Subscriber } from '../../src/config/config';
import { ownTransactions } from '../../src/db/group-commit';
import * as eventRepository from '../../src/events/event.repository';
import * as eventService from '../../src/events/event.service';
import * as transactionRepository from '../../src/events/transaction.repository';
import { reprocessInbound } from '../../src/ingress/reprocess.service';
import { WatchPoller } from '../../src/polling/watch.poller';
import * as watchRepository from '../../src/polling/watch.repository';
import { registerWatch } from '../../src/polling/watch.service';
import { testClock } from '../support/clock';
import { buildConfig, mmbcMultipaymentSource, mmbcPpobSource } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import {
  FAKE_PASSWORD,
  type FakeMmbc,
  NO_DATA,
  ppobStatus,
  refusal,
  reloadStatus,
  startFakeMmbc,
} from '../support/fake-mmbc';

let database: TestDatabase;
let fake: FakeMmbc;
let logLines: string[];
const clock = testClock();
const T0 = '2026-11-22T03:00:00.000Z';
const subscriber: Subscriber = {
  id: 'ledger',
  url: 'http://127.0.0.1:9/hooks',
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  filter: {},
  retrySchedule: [5],
  timeoutSeconds: 1,
  concurrency: 1,
};

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  clock.set(T0);
  fake = await startFakeMmbc();
  logLines = [];
});
afterEach(async () => {
  await fake.close();
});

function reload(overrides: Partial<MmbcSource> = {}): MmbcSource {
  return mmbcMultipaymentSource({ baseUrl: fake.baseUrl, ...overrides });
}

function ppob(overrides: Partial<MmbcSource> = {}): MmbcSource {
  return mmbcPpobSource({ baseUrl: fake.baseUrl, ...overrides });
}

function setup(sources: readonly MmbcSource[], db = database.handle) {
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  const metrics = new Metrics(db.db, clock);
  const config = buildConfig({ sources, subscribers: [subscriber] });
  const poller = new WatchPoller({
    writes: db.writes,
    clock,
    logger,
    sources,
    subscribers: [subscriber],
    metrics,
    random: () => 0.5,
  });
  const watch = async (sourceId: string, invoice: string, customerNumber?: string) =>
    (await registerWatch(db.db, config, clock, { source: sourceId, invoice, customerNumber })).watch;
  return { poller, metrics, config, watch };
}

async function watchRow(id: string) {
  const row = await watchRepository.findWatch(database.handle.db, id);
  if (!row) throw new Error(`no watch ${id}`);
  return row;
}

async function eventsOf(reference: string) {
  return (await eventRepository.listEvents(database.handle.db, { reference }, 50)).reverse().map(eventRepository.toPaymentEvent);
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return found?.value ?? 0;
}

async function inboundOf(watchId: string) {
  const polls = await watchRepository.listPolls(database.handle.db, watchId);
  return Promise.all(
    polls.map(async (p) => (await database.handle.db.selectFrom('inbound_records').selectAll().where('id', '=', p.inbound_id).executeTakeFirstOrThrow())),
  );
}

describe('Multipayment status_reload', () => {
  it('CONFIRM makes one SUCCESS event with the amount, the provider reference and the rest in details; the watch is done', async () => {
    const source = reload();
    const { poller, metrics, watch } = setup([source]);
    fake.script('INV-1', [reloadStatus('INV-1', 'CONFIRM')]);
    const w = await watch(source.id, 'INV-1');

    expect(await poller.pollDue()).toBe(0); // the first wait (10 s) has not passed
    clock.advance(10_000);
    expect(await metricValue(metrics, 'receiver_watches', { state: 'active' })).toBe(1);
    expect(await metricValue(metrics, 'receiver_watch_oldest_active_age_seconds', {})).toBe(10);
    expect(await poller.pollDue()).toBe(1);

    const [request] = fake.requests;
    expect(request).toEqual({
      path: '/json/multipayment/status_reload',
      form: { username: 'test-user', password: FAKE_PASSWORD, invoice: 'INV-1' },
      contentType: 'application/x-www-form-urlencoded',
    });
    const events = await eventsOf('INV-1');
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({
      source: 'mmbc-reload',
      channel: 'mmbc.multipayment',
      reference: 'INV-1',
      providerReference: '101837139231331',
      status: 'SUCCESS',
      providerStatus: 'CONFIRM',
      amount: { value: '100000.00', currency: 'IDR' },
      occurredAt: '2017-12-31T17:01:10.000Z',
      details: { merchant_code: 'GOPAY', receiver_name: 'GOPAY MMBC TOUR TRAVEL', debet: '102000', date: '2018-01-01 00:01:10' },
    });
    expect(events[0]?.data.details).not.toHaveProperty('amount');
    const row = await watchRow(w.id);
    expect(row).toMatchObject({ state: 'done', last_outcome: 'status', lease_owner: null });
    expect(Number(row.poll_count)).toBe(1);
    expect(row.ended_at).toBe(clock.now().toISOString());
    const deliveries = await database.handle.db.selectFrom('deliveries').selectAll().execute();
    expect(deliveries.map((d) => [d.subscriber_id, d.event_id])).toEqual([['ledger', events[0]?.id]]);
    const [inbound] = await inboundOf(w.id);
    expect(inbound).toMatchObject({ channel: 'mmbc.multipayment', outcome: 'accepted', method: 'POST', response_status: 200 });
    expect(inbound?.url).toBe(`${fake.baseUrl}/json/multipayment/status_reload`);
    expect(inbound?.body).toBe('username=%5Bredacted%5D&password=%5Bredacted%5D&invoice=INV-1');
    expect(await metricValue(metrics, 'receiver_polls_total', { source: 'mmbc-reload', outcome: 'status' })).toBe(1);

    clock.advance(3600_000);
    expect(await poller.pollDue()).toBe(0); // done: never polled again
  });

  it('REFUND of a transaction that never succeeded is FAILED with providerStatus REFUND; after SUCCESS it is REFUNDED', async () => {
    const source = reload();
    const { poller, watch } = setup([source]);
    fake.script('INV-F', [reloadStatus('INV-F', 'REFUND')]);
    fake.script('INV-R', [reloadStatus('INV-R', 'REFUND')]);
    await watch(source.id, 'INV-F');
    await watch(source.id, 'INV-R');
    // INV-R succeeded before (reported some other way): its REFUND gives the money back.
    await ownTransactions(database.handle.db).run((trx) =>
      eventService.recordReport(
        trx,
        { clock, subscribers: [] },
        {
          source: source.id,
          channel: 'mmbc.multipayment',
          reference: 'INV-R',
          providerReference: null,
          status: 'SUCCESS',
          providerStatus: 'CONFIRM',
          amount: null,
          occurredAt: null,
          details: {},
        },
        { inboundId: null, receivedAt: clock.now().toISOString() },
      ),
    );
    clock.advance(10_000);
    expect(await poller.pollDue()).toBe(2);

    expect((await eventsOf('INV-F')).map((e) => [e.data.status, e.data.providerStatus])).toEqual([['FAILED', 'REFUND']]);
    expect((await eventsOf('INV-R')).map((e) => [e.data.status, e.data.providerStatus, e.data.stale ?? false])).toEqual([
      ['SUCCESS', 'CONFIRM', false],
      ['REFUNDED', 'REFUND', false],
    ]);
    expect((await transactionRepository.findTransaction(database.handle.db, source.id, 'INV-R'))?.status).toBe('REFUNDED');
    const states = await database.handle.db.selectFrom('watches').select(['invoice', 'state']).orderBy('invoice').execute();
    expect(states).toEqual([
      { invoice: 'INV-F', state: 'done' },
      { invoice: 'INV-R', state: 'done' },
    ]);
  });

  it('an answer about another invoice, an unknown status or a body that is not JSON makes no event and keeps polling', async () => {
    const source = reload();
    const { poller, metrics, watch } = setup([source]);
    fake.script('INV-X', [reloadStatus('OTHER', 'CONFIRM'), reloadStatus('INV-X', 'PROCESS'), { body: '<html>maintenance</html>' }, reloadStatus('INV-X')]);
    const w = await watch(source.id, 'INV-X');
    for (const wait of [10_000, 30_000, 60_000]) {
      clock.advance(wait);
      expect(await poller.pollDue()).toBe(1);
      expect(await eventsOf('INV-X')).toEqual([]);
    }
    expect(await metricValue(metrics, 'receiver_polls_total', { source: source.id, outcome: 'unexpected' })).toBe(3);
    const polls = await watchRepository.listPolls(database.handle.db, w.id);
    expect(polls.map((p) => p.detail)).toEqual([
      'the answer is for invoice OTHER, not INV-X',
      'unknown status PROCESS',
      'the answer is not JSON',
    ]);
    expect((await inboundOf(w.id)).map((r) => r.outcome)).toEqual(['rejected', 'rejected', 'rejected']);
    clock.advance(60_000);
    await poller.pollDue();
    expect((await eventsOf('INV-X')).map((e) => e.data.status)).toEqual(['SUCCESS']);
  });
});

describe('PPOB cekstatus', () => {
  it('pending makes a PENDING event and polling goes on; a repeated pending is a duplicate; confirm ends it with SUCCESS', async () => {
    const source = ppob();
    const { poller, watch } = setup([source]);
    fake.script('P-1', [ppobStatus('P-1', 'pending'), ppobStatus('P-1', 'pending'), ppobStatus('P-1', 'confirm')]);
    const w = await watch(source.id, 'P-1', '123456789');

    clock.advance(10_000);
    await poller.pollDue();
    expect(fake.requests[0]).toMatchObject({
      path: '/json/ppob/cekstatus',
      form: { username: 'test-user', password: FAKE_PASSWORD, invoice: 'P-1', ppob_nomorpelanggan: '123456789' },
    });
    expect((await eventsOf('P-1')).map((e) => e.data.status)).toEqual(['PENDING']);
    expect((await watchRow(w.id)).state).toBe('active');

    clock.advance(30_000);
    await poller.pollDue();
    expect((await eventsOf('P-1')).map((e) => e.data.status)).toEqual(['PENDING']);
    expect((await inboundOf(w.id)).map((r) => r.outcome)).toEqual(['accepted', 'duplicate']);

    clock.advance(60_000);
    await poller.pollDue();
    const events = await eventsOf('P-1');
    expect(events.map((e) => e.data.status)).toEqual(['PENDING', 'SUCCESS']);
    expect(events[1]?.data).toMatchObject({
      channel: 'mmbc.ppob',
      providerReference: '0AXS21V00KF3385499839ZN91DY04626',
      providerStatus: 'confirm',
      amount: { value: '102500.00', currency: 'IDR' },
      occurredAt: '2018-07-24T14:00:00.000Z',
      details: { ppob_totalkwh: '94,50', ppob_stroomtoken: '1234 5678 9101 1121 3141', ppob_debet: '100.700' },
    });
    expect((await watchRow(w.id)).state).toBe('done');
    expect(fake.requests).toHaveLength(3);
  });

  it('"No Data!" keeps polling on the schedule (the last wait repeats, capped at the deadline); at the deadline it is NOT_FOUND and the watch expires', async () => {
    const source = ppob({ pollSchedule: [10, 30, 60], deadlineSeconds: 200 });
    const { poller, metrics, watch } = setup([source]);
    fake.script('P-ND', [NO_DATA]);
    const w = await watch(source.id, 'P-ND', '99');
    const created = Date.parse(T0);
    const nextPolls: number[] = [];
    for (let i = 0; i < 6; i++) {
      const row = await watchRow(w.id);
      if (row.state !== 'active') break;
      nextPolls.push((Date.parse(row.next_poll_at) - created) / 1000);
      clock.set(row.next_poll_at);
      await poller.pollDue();
    }
    // Waits 10, 30, 60, 60, then the deadline (200 s) instead of 250.
    expect(nextPolls).toEqual([10, 40, 100, 160, 200]);
    const row = await watchRow(w.id);
    expect(row.state).toBe('expired');
    expect(Number(row.poll_count)).toBe(5);
    const events = await eventsOf('P-ND');
    expect(events.map((e) => [e.data.status, e.data.providerStatus])).toEqual([['NOT_FOUND', 'No Data!']]);
    expect(await metricValue(metrics, 'receiver_polls_total', { source: source.id, outcome: 'no_data' })).toBe(5);
    expect(await metricValue(metrics, 'receiver_watches_expired_total', { source: source.id })).toBe(1);
    expect(await metricValue(metrics, 'receiver_watches', { state: 'expired' })).toBe(1);
    const expiredLog = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 50);
    expect(expiredLog).toMatchObject({ watchId: w.id, invoice: 'P-ND', source: source.id });
    clock.advance(3600_000);
    expect(await poller.pollDue()).toBe(0);
  });

  it('still pending at the deadline: the watch expires with an error log, and no FAILED is made up', async () => {
    const source = ppob({ pollSchedule: [10], deadlineSeconds: 25 });
    const { poller, metrics, watch } = setup([source]);
    fake.script('P-PD', [ppobStatus('P-PD', 'pending')]);
    const w = await watch(source.id, 'P-PD', '99');
    for (const at of [10, 20, 25]) {
      clock.set(new Date(Date.parse(T0) + at * 1000));
      expect(await poller.pollDue()).toBe(1);
    }
    expect((await watchRow(w.id)).state).toBe('expired');
    expect((await eventsOf('P-PD')).map((e) => e.data.status)).toEqual(['PENDING']);
    expect(await metricValue(metrics, 'receiver_watches_expired_total', { source: source.id })).toBe(1);
    expect(logLines.some((l) => l.includes('"level":50') && l.includes('reconcile'))).toBe(true);
  });
});

describe('failures', () => {
  it('reason_code 91-99, a 5xx and a timeout are transient: recorded, polled again on the schedule', async () => {
    const source = reload({ timeoutSeconds: 0.3 });
    const { poller, metrics, watch } = setup([source]);
    fake.script('INV-T', [refusal('91'), { status: 502, body: 'Bad Gateway' }, { hang: true }, reloadStatus('INV-T')]);
    const w = await watch(source.id, 'INV-T');
    for (const wait of [10_000, 30_000, 60_000, 60_000]) {
      clock.advance(wait);
      expect(await poller.pollDue()).toBe(1);
    }
    const polls = await watchRepository.listPolls(database.handle.db, w.id);
    expect(polls.map((p) => [p.outcome, p.status_code])).toEqual([
      ['provider_error', 200],
      ['http_error', 502],
      ['timeout', null],
      ['status', 200],
    ]);
    const inbound = await inboundOf(w.id);
    expect(inbound.map((r) => [r.outcome, r.response_status])).toEqual([
      ['rejected', 200],
      ['rejected', 502],
      ['rejected', 0],
      ['accepted', 200],
    ]);
    expect(inbound[2]?.reason).toBe('timeout: no answer within 0.3 s');
    expect((await watchRow(w.id)).state).toBe('done');
    expect(await metricValue(metrics, 'receiver_polls_total', { source: source.id, outcome: 'timeout' })).toBe(1);
  });

  it('[INVALID], [LIMIT] and [FRAUD] codes are kept as refused and never become a FAILED: polling goes on', async () => {
    const source = reload({ pollSchedule: [10], deadlineSeconds: 40 });
    const { poller, metrics, watch } = setup([source]);
    fake.script('INV-L', [refusal('65', 'Invalid ID Request!'), refusal('01', 'Maaf, saldo anda tidak cukup!'), refusal('51', 'Nomor Tujuan masuk Blacklist')]);
    const w = await watch(source.id, 'INV-L');
    for (const at of [10, 20, 30, 40]) {
      clock.set(new Date(Date.parse(T0) + at * 1000));
      expect(await poller.pollDue()).toBe(1);
    }
    const polls = await watchRepository.listPolls(database.handle.db, w.id);
    expect(polls.map((p) => [p.outcome, p.detail])).toEqual([
      ['refused', '65: Invalid ID Request!'],
      ['refused', '01: Maaf, saldo anda tidak cukup!'],
      ['refused', '51: Nomor Tujuan masuk Blacklist'],
      ['refused', '51: Nomor Tujuan masuk Blacklist'],
    ]);
    expect(await eventsOf('INV-L')).toEqual([]);
    expect((await watchRow(w.id)).state).toBe('expired');
    expect(await metricValue(metrics, 'receiver_polls_total', { source: source.id, outcome: 'refused' })).toBe(4);
    expect(await metricValue(metrics, 'receiver_watch_oldest_active_age_seconds', {})).toBe(0);
  });

  it('reason_code 93 pauses every watch of the source for 60 s, in the database, and leaves other sources alone', async () => {
    const source = reload();
    const other = ppob();
    const { poller, watch } = setup([source, other]);
    fake.script('INV-93', [refusal('93', 'Maaf, request transaksi anda terlalu banyak yang masih dalam proses!')]);
    const busy = await watch(source.id, 'INV-93');
    clock.advance(5_000);
    const sibling = await watch(source.id, 'INV-SIB'); // due at T0 + 15 s
    const elsewhere = await watch(other.id, 'P-ELSE', '1'); // due at T0 + 15 s
    clock.advance(5_000);
    await poller.pollDue();
    const pausedUntil = new Date(Date.parse(T0) + 10_000 + 60_000).toISOString();
    expect((await watchRow(sibling.id)).next_poll_at).toBe(pausedUntil);
    expect((await watchRow(busy.id)).next_poll_at).toBe(pausedUntil);
    expect((await watchRow(elsewhere.id)).next_poll_at).toBe(new Date(Date.parse(T0) + 15_000).toISOString());
    clock.advance(30_000);
    expect(await poller.pollDue()).toBe(1); // only the other source's watch
    expect(fake.requestsFor('INV-SIB')).toHaveLength(0);
    clock.set(pausedUntil);
    await poller.pollDue();
    expect(fake.requestsFor('INV-SIB')).toHaveLength(1);
    expect(fake.requestsFor('INV-93')).toHaveLength(2);
  });

  it('reason_code 57-59 marks the source unhealthy with an error log, polling goes on, and an accepted login heals it', async () => {
    const source = reload({ password: 'wrong-password-0123456789' });
    const { poller, metrics, watch } = setup([source]);
    await watch(source.id, 'INV-C');
    clock.advance(10_000);
    await poller.pollDue();
    clock.advance(30_000);
    await poller.pollDue();
    expect(await metricValue(metrics, 'receiver_poll_credentials_refused_total', { source: source.id })).toBe(2);
    expect(await metricValue(metrics, 'receiver_poll_source_healthy', { source: source.id })).toBe(0);
    const errors = logLines.filter((l) => l.includes('"level":50'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('refuses the configured username or password');
    expect(fake.requestsFor('INV-C')).toHaveLength(2);
    // Neither the right nor the wrong password is ever written down.
    const stored = JSON.stringify(await database.handle.db.selectFrom('inbound_records').selectAll().execute());
    expect(stored).not.toContain('wrong-password');
    expect(logLines.join('')).not.toContain('wrong-password');

    const healed = setup([reload()]);
    clock.advance(60_000);
    await healed.poller.pollDue();
    await poller.pollDue();
    expect(await metricValue(healed.metrics, 'receiver_poll_source_healthy', { source: source.id })).toBe(1);
  });

  it('a source never has more than maxConcurrentPolls polls in flight in a process', async () => {
    const source = reload({ maxConcurrentPolls: 2 });
    const { poller, watch } = setup([source]);
    for (let i = 0; i < 6; i++) {
      fake.script(`INV-C${i}`, [{ ...reloadStatus(`INV-C${i}`), delayMs: 50 }]);
      await watch(source.id, `INV-C${i}`);
    }
    clock.advance(10_000);
    expect(await poller.pollDue()).toBe(6);
    expect(fake.maxConcurrent()).toBe(2);
    expect(await database.handle.db.selectFrom('watches').select('state').where('state', '=', 'done').execute()).toHaveLength(6);
  });

  it('a watch canceled while its poll runs stays canceled, and the answer is still kept', async () => {
    const source = reload();
    const { poller, watch } = setup([source]);
    fake.script('INV-CX', [{ ...reloadStatus('INV-CX'), delayMs: 100 }]);
    const w = await watch(source.id, 'INV-CX');
    clock.advance(10_000);
    const polling = poller.pollDue();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await watchRepository.cancelWatch(database.handle.db, w.id, clock.now().toISOString())).toBe(true);
    await polling;
    expect((await watchRow(w.id)).state).toBe('canceled');
    expect((await eventsOf('INV-CX')).map((e) => e.data.status)).toEqual(['SUCCESS']);
  });
});

describe('several pollers on one database', () => {
  it('each due watch is polled by exactly one of them', async () => {
    const source = reload();
    const second = database.reopen();
    try {
      const a = setup([source]);
      const b = setup([source], second);
      for (let i = 0; i < 20; i++) {
        fake.script(`INV-S${i}`, [{ ...NO_DATA, delayMs: 5 }, { ...reloadStatus(`INV-S${i}`), delayMs: 5 }]);
        await a.watch(source.id, `INV-S${i}`);
      }
      clock.advance(10_000);
      const [byA, byB] = await Promise.all([a.poller.pollDue(), b.poller.pollDue()]);
      expect(byA + byB).toBe(20);
      clock.advance(30_000);
      const [againA, againB] = await Promise.all([a.poller.pollDue(), b.poller.pollDue()]);
      expect(againA + againB).toBe(20);
      for (let i = 0; i < 20; i++) expect(fake.requestsFor(`INV-S${i}`)).toHaveLength(2);
      const polls = await sql<{ n: number | string }>`select count(*) as n from watch_polls`.execute(database.handle.db);
      expect(Number(polls.rows[0]?.n)).toBe(40);
    } finally {
      await second.close();
    }
  });
});

describe('re-processing a poll', () => {
  it('derives the same report from the stored answer, so a re-run finds it a duplicate', async () => {
    const source = reload();
    const { poller, config, watch } = setup([source]);
    fake.script('INV-RP', [reloadStatus('INV-RP')]);
    const w = await watch(source.id, 'INV-RP');
    clock.advance(10_000);
    await poller.pollDue();
    const [inbound] = await inboundOf(w.id);
    const result = await reprocessInbound(database.handle.db, { clock, subscribers: [] }, config, inbound?.id ?? '');
    expect(result?.createdEventIds).toEqual([]);
    expect(result?.duplicateOf).toHaveLength(1);
  });
});
