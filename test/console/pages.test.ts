import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import type { Subscriber } from '../../src/config/config';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, BILLER_TOKEN, billerSource, buildConfig, mmbcMultipaymentSource } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';
import { type Agent, signIn, visibleText } from './console-client';

let database: TestDatabase;
let ledger: TestSubscriber;
let vault: TestSubscriber;
let subscribers: Subscriber[];
let apps: TestApps;
let agent: Agent;
let csrf: string;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  ledger = await startSubscriber();
  vault = await startSubscriber();
  // The vault takes its credentials in its URL; it answers 410, so its deliveries die at once.
  vault.reply = () => ({ status: 410, body: 'gone' });
  const vaultUrl = vault.url.replace('http://', 'http://hook-user:vault-url-password@') + '?token=vault-query-token';
  subscribers = [subscriberConfig(ledger.url, { id: 'ledger' }), subscriberConfig(vaultUrl, { id: 'vault', filter: { statuses: ['FAILED'] } })];
  apps = buildApps(database, buildConfig({ sources: [billerSource(), mmbcMultipaymentSource()], subscribers }));
  ({ agent, csrf } = await signIn(apps.adminApp));
});
afterEach(async () => {
  await ledger.close();
  await vault.close();
});

async function deliverDue(): Promise<void> {
  await new DeliveryDispatcher({ db: database.handle.db, clock: apps.deps.clock, logger: pino({ level: 'silent' }), subscribers, workers: 4, random: () => 0.5 }).processDue();
}

async function callback(refid: string, status: 0 | 1 = 0, token = BILLER_TOKEN): Promise<void> {
  apps.deps.clock.advance(1000);
  const message = encodeURIComponent('Transaksi SUKSES, SN: 11111111111, Harga: 201,200');
  await request(apps.publicApp).get(`/callbacks/biller/biller-a/${token}?status=${status}&refid=${encodeURIComponent(refid)}&message=${message}`);
}

const transactionPath = (reference: string) => `/console/transactions/biller-a/${encodeURIComponent(reference)}`;
const countMatches = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;
const bodyRows = (html: string) => countMatches(html.slice(html.indexOf('<tbody>')), /<tr>/g);

describe('GET /console (events)', () => {
  it('has the search form of CONTRACT 8 and finds a reference, linked to its transaction', async () => {
    await callback('TRX-1');
    await callback('TRX-2');

    const res = await agent.get('/console?reference=TRX-2').expect(200);

    for (const label of ['Reference', 'Source', 'Channel', 'Status', 'Since', 'Until']) expect(res.text).toMatch(new RegExp(`<label for="f-[a-z]+">${label}</label>`));
    expect(res.text).toContain('<button type="submit">Search</button>');
    expect(res.text).toContain(`<a href="${transactionPath('TRX-2')}">TRX-2</a>`);
    expect(res.text).not.toContain('TRX-1');
    expect(visibleText(res.text)).toContain('biller-a biller TRX-2 SUCCESS IDR 201,200.00');
  });

  it('escapes what providers send', async () => {
    await callback('<b>bold</b>"quoted"');

    const res = await agent.get('/console').expect(200);

    expect(res.text).not.toContain('<b>bold</b>');
    expect(res.text).toContain('&lt;b&gt;bold&lt;/b&gt;&quot;quoted&quot;');
  });

  it('pages with Next, 50 events a page, newest first', async () => {
    for (let n = 0; n < 51; n++) await callback(`PAGE-${String(n).padStart(2, '0')}`);

    const first = await agent.get('/console?source=biller-a').expect(200);
    const next = /<a href="([^"]+)" rel="next">Next<\/a>/.exec(first.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const second = await agent.get(next).expect(200);

    expect(bodyRows(first.text)).toBe(50);
    expect(first.text).toContain('PAGE-50');
    expect(next).toMatch(/^\/console\?source=biller-a&cursor=/);
    expect(bodyRows(second.text)).toBe(1);
    expect(second.text).toContain('PAGE-00');
    expect(second.text).not.toContain('rel="next"');
  });

  it('filters by a time range typed in UTC, and says what is wrong with a time it cannot read', async () => {
    await callback('EARLY');
    apps.deps.clock.advance(3_600_000);
    await callback('LATE');
    const late = await database.handle.db.selectFrom('events').select('created_at').where('reference', '=', 'LATE').executeTakeFirstOrThrow();
    const since = late.created_at.slice(0, 16).replace('T', ' ');

    const filtered = await agent.get(`/console?since=${encodeURIComponent(since)}`).expect(200);
    const bad = await agent.get('/console?since=yesterday').expect(200);

    expect(filtered.text).toContain('>LATE</a>');
    expect(filtered.text).not.toContain('>EARLY</a>');
    expect(bad.text).toContain('role="alert">Cannot search: Since is not a time such as 2026-11-22 10:00.</p>');
  });
});

describe('GET /console/transactions/:source/:reference', () => {
  it('shows the current status, each report with our answer (token redacted), each event and every attempt', async () => {
    await callback('TL-1', 0);
    await callback('TL-1', 1);
    await deliverDue();

    const res = await agent.get(transactionPath('TL-1')).expect(200);
    const text = visibleText(res.text);

    expect(res.text).toContain('<span class="status big s-FAILED">FAILED</span>');
    expect(text).toContain('#1 SUCCESS');
    expect(text).toContain('#2 FAILED reversal: refund the customer sets the current status');
    expect(res.text).not.toContain(BILLER_TOKEN);
    expect(countMatches(res.text, /<code class="url">\/callbacks\/biller\/biller-a\/[^<]*<\/code>/g)).toBe(2);
    expect(text).toContain('Our answer 200 OK');
    expect(countMatches(res.text, /<button type="submit">Replay<\/button>/g)).toBe(2);
    expect(text).toContain('ledger delivered');
    expect(text).toContain('vault dead gave up after 1 attempt');
    expect(countMatches(text, /HTTP 200/g)).toBe(2);
    expect(text).toContain('HTTP 410 gone');
    expect(res.text).not.toContain('vault-url-password');
  });

  it('shows every report that came in: a provider retry of the same status is listed under the event it repeated', async () => {
    await callback('TL-R', 0);
    await callback('TL-R', 0);
    await callback('TL-R', 0);

    const res = await agent.get(transactionPath('TL-R')).expect(200);

    expect(res.text).toContain('<summary>Reported again 2 times</summary>');
    expect(countMatches(res.text, /<span class="method">GET<\/span>/g)).toBe(3);
    expect(visibleText(res.text)).toMatch(/Outcome duplicate: duplicate of evt_\w+/);
    expect(res.text).not.toContain(BILLER_TOKEN);
  });

  it('answers 404 with a way back to the search for an unknown transaction', async () => {
    const res = await agent.get(transactionPath('NOPE')).expect(404);

    expect(res.text).toContain('Nothing was stored for reference NOPE from biller-a.');
    expect(res.text).toContain('href="/console?reference=NOPE"');
  });
});

describe('POST /console/events/:id/replay ("Replay")', () => {
  it('queues the event again and leads back to the timeline, where the new attempt appears', async () => {
    await callback('RP-1');
    await deliverDue();
    const event = await database.handle.db.selectFrom('events').select('id').executeTakeFirstOrThrow();

    const res = await agent.post(`/console/events/${event.id}/replay`).type('form').send({ _csrf: csrf });
    const queued = await agent.get(res.headers.location as string).expect(200);
    await deliverDue();
    const after = await agent.get(transactionPath('RP-1')).expect(200);

    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${transactionPath('RP-1')}?notice=replayed-1#${event.id}`);
    expect(queued.text).toContain('Replay queued: 1 delivery.');
    expect(queued.text).toContain('data-refresh="pending"');
    expect(countMatches(visibleText(after.text), /HTTP 200/g)).toBe(2);
    expect(after.text).not.toContain('data-refresh');
    expect(ledger.received.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id]);
  });
});

describe('GET /console/deliveries?state=dead', () => {
  it('lists dead deliveries with Retry, and Retry all shown', async () => {
    await callback('DD-1', 1);
    await callback('DD-2', 1);
    await deliverDue();

    const res = await agent.get('/console/deliveries?state=dead').expect(200);

    expect(res.text).toContain('<h1>Dead deliveries</h1>');
    expect(countMatches(res.text, /<button type="submit">Retry<\/button>/g)).toBe(2);
    expect(res.text).toContain('<button type="submit">Retry all shown</button>');
    expect(visibleText(res.text)).toContain('410');
  });

  it('retries one dead delivery, and says so', async () => {
    await callback('DD-1', 1);
    await deliverDue();
    const dead = await database.handle.db.selectFrom('deliveries').select('id').where('state', '=', 'dead').executeTakeFirstOrThrow();

    const res = await agent.post(`/console/deliveries/${dead.id}/retry`).type('form').send({ _csrf: csrf, back: '/console/deliveries?state=dead' });
    const page = await agent.get(res.headers.location as string).expect(200);

    expect(res.headers.location).toBe('/console/deliveries?state=dead&notice=retried-1-of-1');
    expect(page.text).toContain('Retrying 1 delivery now.');
    const row = await database.handle.db.selectFrom('deliveries').select('state').where('id', '=', dead.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('pending');
  });

  it('retries every dead delivery shown at once', async () => {
    await callback('DD-1', 1);
    await callback('DD-2', 1);
    await deliverDue();
    const page = await agent.get('/console/deliveries?state=dead').expect(200);
    const ids = [...page.text.matchAll(/name="id" value="([^"]+)"/g)].map((m) => m[1]);

    const res = await agent.post('/console/deliveries/retry').type('form').send(`_csrf=${encodeURIComponent(csrf)}&${ids.map((id) => `id=${id}`).join('&')}`);

    expect(ids).toHaveLength(2);
    expect(res.headers.location).toBe('/console/deliveries?state=dead&notice=retried-2-of-2');
    const states = await database.handle.db.selectFrom('deliveries').select('state').where('subscriber_id', '=', 'vault').execute();
    expect(states.map((s) => s.state)).toEqual(['pending', 'pending']);
  });
});

describe('GET /console/sources', () => {
  it('shows each source\'s last hour and each subscriber\'s backlog, without the credentials in its URL', async () => {
    await callback('SRC-1', 1);
    await callback('SRC-2', 0, 'wrong-token');
    await deliverDue();

    const res = await agent.get('/console/sources').expect(200);
    const text = visibleText(res.text);

    expect(text).toMatch(/biller-a biller Some refused \S+ \S+ \(\d+ s ago\) 1 0 1/);
    expect(text).toMatch(/mmbc-reload mmbc-multipayment Never polled never 0 0 0/);
    expect(text).toMatch(/ledger http:\/\/127\.0\.0\.1:\d+\/hooks Keeping up 0 0 no Pause/);
    expect(text).toMatch(/vault http:\/\/\[REDACTED\]@127\.0\.0\.1:\d+\/hooks\?token=\[REDACTED\] 1 dead 0 1 no Pause/);
    expect(res.text).not.toContain('vault-url-password');
    expect(res.text).not.toContain('vault-query-token');
    expect(res.text).not.toContain('hook-user');
  });

  it('pauses and resumes a subscriber', async () => {
    const paused = await agent.post('/console/subscribers/ledger/pause').type('form').send({ _csrf: csrf });
    const page = await agent.get(paused.headers.location as string).expect(200);
    const resumed = await agent.post('/console/subscribers/ledger/resume').type('form').send({ _csrf: csrf });
    const after = await agent.get('/console/sources').expect(200);

    expect(paused.headers.location).toBe('/console/sources?notice=paused');
    expect(visibleText(page.text)).toMatch(/ledger \S+ Paused 0 0 since \S+ \S+ Resume/);
    expect(resumed.status).toBe(303);
    expect(visibleText(after.text)).toMatch(/ledger \S+ Keeping up 0 0 no Pause/);
  });
});

describe('GET /console/watches', () => {
  it('lists the watches with their state and polls', async () => {
    await request(apps.adminApp).post('/admin/watches').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ source: 'mmbc-reload', invoice: 'INV-77' }).expect(201);

    const res = await agent.get('/console/watches').expect(200);

    expect(res.text).toContain('<a href="/console/transactions/mmbc-reload/INV-77">INV-77</a>');
    expect(visibleText(res.text)).toMatch(/INV-77 mmbc-reload active 0 not yet/);
    expect(res.text).not.toContain('test-password-0123456789');
  });
});
