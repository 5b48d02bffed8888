import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import { createPublicApp } from '../../../src/app';
import type { Config } from '../../../src/config/config';
import { buildApps } from '../../support/app';
import { ADMIN_TOKEN, BILLER_TOKEN, billerSource, buildConfig } from '../../support/config';
import { type TestDatabase, clearTables, countEvents, createTestDatabase } from '../../support/database';
import { snapSource } from '../../support/snap';

// One emoji: a single code point, two UTF-16 units, four UTF-8 bytes.
const EMOJI = '\u{1F600}';

const SUCCESS_QUERY =
  'status=0&refid=TRX-1001&product=banktrf&qty=1&dest=2222222222' +
  '&message=Transaksi+s5.2222222222+SUKSES,+SN:+11111111111,+Saldo:+Rp99,999,999,+Harga:+201,200,+Tgl:+01/01+10:32:12';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(() => clearTables(database));

function app(config: Config = buildConfig()) {
  return buildApps(database, config).publicApp;
}

const eventCount = () => countEvents(database);

async function inboundRecords() {
  return database.handle.db.selectFrom('inbound_records').selectAll().orderBy('id').execute();
}

describe('GET /callbacks/biller/:sourceId/:token', () => {
  it('answers 200 OK and stores one canonical event for the seed success example', async () => {
    const res = await request(app()).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?${SUCCESS_QUERY}`);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('OK');
    const events = await database.handle.db.selectFrom('events').selectAll().execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source_id: 'biller-a',
      channel: 'biller',
      reference: 'TRX-1001',
      provider_reference: '11111111111',
      status: 'SUCCESS',
      provider_status: '0',
      amount_value: '201200.00',
      amount_currency: 'IDR',
      occurred_at: '2026-01-01T03:32:12.000Z',
      stale: 0,
      transaction_seq: 1,
    });
    const [inbound] = await inboundRecords();
    expect(inbound).toMatchObject({ outcome: 'accepted', response_status: 200, response_body: 'OK', source_id: 'biller-a' });
    expect(inbound?.url).toBe(`/callbacks/biller/biller-a/[REDACTED]?${SUCCESS_QUERY}`);
    expect(events[0]?.inbound_id).toBe(inbound?.id);
  });

  it('answers 200 OK to a repeated report and makes no second event', async () => {
    const url = `/callbacks/biller/biller-a/${BILLER_TOKEN}?${SUCCESS_QUERY}`;
    await request(app()).get(url).expect(200, 'OK');

    const again = await request(app()).get(url);

    expect(again.status).toBe(200);
    expect(again.text).toBe('OK');
    expect(await eventCount()).toBe(1);
    const records = await inboundRecords();
    expect(records.map((r) => r.outcome)).toEqual(['accepted', 'duplicate']);
    expect(records[1]?.reason).toMatch(/^duplicate of evt_/);
  });

  it('stores a later report of another status for the same refid as a second event', async () => {
    await request(app()).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=1&refid=TRX-7`).expect(200);
    // A FAILED transaction cannot become SUCCESS: stored, but marked stale.
    await request(app()).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=TRX-7`).expect(200);

    const events = await database.handle.db.selectFrom('events').selectAll().orderBy('transaction_seq').execute();
    expect(events.map((e) => [e.status, e.stale, e.transaction_seq])).toEqual([
      ['FAILED', 0, 1],
      ['SUCCESS', 1, 2],
    ]);
  });

  it('answers 403 when the token is wrong or missing, and records why', async () => {
    const wrong = await request(app()).get(`/callbacks/biller/biller-a/not-the-token?${SUCCESS_QUERY}`);
    const missing = await request(app()).get(`/callbacks/biller/biller-a?${SUCCESS_QUERY}`);

    expect([wrong.status, wrong.text]).toEqual([403, 'Forbidden']);
    expect([missing.status, missing.text]).toEqual([403, 'Forbidden']);
    expect(await eventCount()).toBe(0);
    const records = await inboundRecords();
    expect(records.map((r) => [r.outcome, r.reason, r.response_status])).toEqual([
      ['rejected', 'wrong token', 403],
      ['rejected', 'missing token', 403],
    ]);
    expect(records[0]?.url).not.toContain('not-the-token');
  });

  it('answers 404 for an unknown source, and for a SNAP source on the biller route', async () => {
    const config = buildConfig({
      sources: [
        billerSource(),
        snapSource(),
      ],
    });
    const unknown = await request(app(config)).get(`/callbacks/biller/nobody/${BILLER_TOKEN}?${SUCCESS_QUERY}`);
    const snap = await request(app(config)).get(`/callbacks/biller/bank-x?${SUCCESS_QUERY}`);

    expect(unknown.status).toBe(404);
    expect(snap.status).toBe(404);
    expect(await eventCount()).toBe(0);
    const records = await inboundRecords();
    expect(records.map((r) => [r.outcome, r.source_id, r.reason])).toEqual([
      ['rejected', null, 'unknown source'],
      ['rejected', null, 'unknown source'],
    ]);
  });
});

describe('GET /callbacks/biller/:sourceId', () => {
  const open = () => buildConfig({ sources: [billerSource({ token: null })] });

  it('answers 200 OK for a source configured without a token', async () => {
    const res = await request(app(open())).get(`/callbacks/biller/biller-a?${SUCCESS_QUERY}`);

    expect([res.status, res.text]).toEqual([200, 'OK']);
    expect(await eventCount()).toBe(1);
  });

  it.each([
    ['status=2&refid=A', 'status must be 0 or 1'],
    ['refid=A', 'status must be 0 or 1'],
    ['status=0', 'refid is required'],
    ['status=0&refid=', 'refid is required'],
    [`status=0&refid=${'R'.repeat(65)}`, 'refid must be at most 64 characters'],
    ['status=0&status=1&refid=A', 'status must be given once'],
    ['status=0&refid=A%00B', 'refid must not contain control characters'],
  ])('answers 400 with a plain-text reason for %s', async (query, reason) => {
    const res = await request(app(open())).get(`/callbacks/biller/biller-a?${query}`);

    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe(reason);
    expect(await eventCount()).toBe(0);
    const [record] = await inboundRecords();
    expect(record).toMatchObject({ outcome: 'rejected', reason, response_status: 400, response_body: reason });
  });

  it('accepts a refid of exactly 64 characters', async () => {
    await request(app(open())).get(`/callbacks/biller/biller-a?status=0&refid=${'R'.repeat(64)}`).expect(200, 'OK');
  });

  it('counts refid in code points, as the SNAP routes do: 64 emoji (128 UTF-16 units) are accepted', async () => {
    const refid = EMOJI.repeat(64);

    await request(app(open())).get(`/callbacks/biller/biller-a?status=0&refid=${encodeURIComponent(refid)}`).expect(200, 'OK');

    const [event] = await database.handle.db.selectFrom('events').select('reference').execute();
    expect(event?.reference).toBe(refid);
  });

  it('answers 400 to a refid of 65 emoji', async () => {
    const res = await request(app(open())).get(`/callbacks/biller/biller-a?status=0&refid=${encodeURIComponent(EMOJI.repeat(65))}`);

    expect([res.status, res.text]).toEqual([400, 'refid must be at most 64 characters']);
    expect(await eventCount()).toBe(0);
  });

  it('counts the other fields in code points too', async () => {
    const fits = `${'p'.repeat(2047)}${EMOJI}`;
    const tooLong = `${'p'.repeat(2048)}${EMOJI}`;

    const accepted = await request(app(open())).get(`/callbacks/biller/biller-a?status=0&refid=A&product=${encodeURIComponent(fits)}`);
    const refused = await request(app(open())).get(`/callbacks/biller/biller-a?status=0&refid=B&product=${encodeURIComponent(tooLong)}`);

    expect([accepted.status, accepted.text]).toEqual([200, 'OK']);
    expect([refused.status, refused.text]).toEqual([400, 'product must be at most 2048 characters']);
  });
});

describe('a FAILED after SUCCESS for the same refid (a reversal)', () => {
  it('answers OK to both, moves the transaction to FAILED, marks the event, counts and logs it', async () => {
    const apps = buildApps(database);
    const logLines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) });
    const publicApp = createPublicApp({ ...apps.deps, logger });
    const admin = (path: string) => request(apps.adminApp).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);

    await request(publicApp).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=REV-1`).expect(200, 'OK');
    await request(publicApp).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=1&refid=REV-1`).expect(200, 'OK');

    const transaction = (await admin('/admin/transactions/biller-a/REV-1')).body;
    expect(transaction.status).toBe('FAILED');
    const [sale, reversal] = transaction.events;
    expect(transaction.statusEventId).toBe(reversal.id);
    expect(sale.data).not.toHaveProperty('reversal');
    expect(reversal.data).toMatchObject({ status: 'FAILED', reversal: true });
    expect(reversal.data).not.toHaveProperty('stale');
    const metrics = (await admin('/metrics')).text;
    expect(metrics).toContain('receiver_reversals_total{source="biller-a",channel="biller",status="FAILED"} 1');
    const warnings = logLines.filter((line) => typeof line.msg === 'string' && line.msg.startsWith('reversal:'));
    expect(warnings).toEqual([
      expect.objectContaining({ level: 40, eventId: reversal.id, source: 'biller-a', reference: 'REV-1', from: 'SUCCESS', to: 'FAILED' }),
    ]);
    expect(JSON.stringify(logLines)).not.toContain(BILLER_TOKEN);
  });
});

describe('client address and allowlist', () => {
  it('answers 403 when the caller is not in allowedIps', async () => {
    const config = buildConfig({ sources: [billerSource({ allowedIps: ['203.0.113.10', '198.51.100.0/24'] })] });

    const res = await request(app(config)).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?${SUCCESS_QUERY}`);

    expect(res.status).toBe(403);
    const [record] = await inboundRecords();
    expect(record).toMatchObject({ outcome: 'rejected', reason: 'IP not allowed', client_ip: '127.0.0.1' });
  });

  it('fails closed when allowedIps is empty', async () => {
    const config = buildConfig({ sources: [billerSource({ allowedIps: [] })] });

    await request(app(config)).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?${SUCCESS_QUERY}`).expect(403);
  });

  it('matches CIDR ranges, and IPv4-mapped callers by their IPv4 form', async () => {
    // supertest connects over a dual-stack socket, so the raw peer is ::ffff:127.0.0.1.
    const config = buildConfig({ sources: [billerSource({ allowedIps: ['127.0.0.0/8'] })] });

    await request(app(config)).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?${SUCCESS_QUERY}`).expect(200, 'OK');
  });

  it('ignores a spoofed X-Forwarded-For when TRUST_PROXY is 0', async () => {
    const config = buildConfig({ trustProxy: 0, sources: [billerSource({ allowedIps: ['203.0.113.10'] })] });

    const res = await request(app(config))
      .get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?${SUCCESS_QUERY}`)
      .set('X-Forwarded-For', '203.0.113.10');

    expect(res.status).toBe(403);
    expect(await eventCount()).toBe(0);
  });

  it('believes the last hop of X-Forwarded-For when TRUST_PROXY is 1', async () => {
    const config = buildConfig({ trustProxy: 1, sources: [billerSource({ allowedIps: ['203.0.113.10'] })] });

    const allowed = await request(app(config))
      .get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?${SUCCESS_QUERY}`)
      .set('X-Forwarded-For', '10.9.9.9, 203.0.113.10');
    // Only one hop is trusted: a client cannot push the allowed address further left.
    const spoofed = await request(app(config))
      .get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=1&refid=X`)
      .set('X-Forwarded-For', '203.0.113.10, 10.9.9.9');

    expect(allowed.status).toBe(200);
    expect(spoofed.status).toBe(403);
  });
});

describe('ingress hardening', () => {
  it('answers 429 once a source exceeds rateLimitPerMinute', async () => {
    const limited = app(buildConfig({ sources: [billerSource({ rateLimitPerMinute: 2 })] }));
    const url = (n: number) => `/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=R${n}`;

    const answers = [];
    for (const n of [1, 2, 3]) answers.push((await request(limited).get(url(n))).status);

    expect(answers).toEqual([200, 200, 429]);
    expect(await eventCount()).toBe(2);
    const records = await inboundRecords();
    expect(records.at(-1)).toMatchObject({ outcome: 'rejected', reason: 'rate limit exceeded', response_status: 429 });
  });

  it('answers 429 once one IP exceeds RATE_LIMIT_PER_IP_PER_MINUTE', async () => {
    const limited = app(buildConfig({ rateLimitPerIpPerMinute: 1 }));

    await request(limited).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=R1`).expect(200);
    await request(limited).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=R2`).expect(429);
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const given = await request(app()).get('/healthz').set('X-Request-Id', 'abc-123');
    const made = await request(app()).get('/healthz').set('X-Request-Id', 'bad id with spaces');

    expect(given.headers['x-request-id']).toBe('abc-123');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a URL over 8 KiB with 414 and no internals', async () => {
    const res = await request(app()).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=A&message=${'x'.repeat(9000)}`);

    expect([res.status, res.text]).toEqual([414, 'URI Too Long']);
  });

  it('answers a malformed path with a bare 400, never a stack trace', async () => {
    const res = await request(app()).get('/callbacks/biller/%E0%A4%A/x?status=0&refid=A');

    expect(res.status).toBe(400);
    expect(res.text).toBe('Bad Request');
  });

  it('sets helmet headers on every answer', async () => {
    const res = await request(app()).get('/healthz');

    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
