import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Config } from '../../../src/config/config';
import { type TestApps, buildApps } from '../../support/app';
import { buildConfig } from '../../support/config';
import { type TestDatabase, clearTables, countEvents, createTestDatabase } from '../../support/database';
import {
  CLIENT_SECRET,
  OTHER_PRIVATE_KEY,
  buildBulkCashinNotify,
  buildBulkItem,
  buildQrCpmNotify,
  providerSigner,
  snapSource,
  snapTimestamp,
} from '../../support/snap';
import { type NotifyOptions, issueToken as issueTokenFrom, sendNotify } from '../../support/snap-client';

const BULK = { path: '/v1.0/emoney/bulk-cashin-notify', service: '41', build: () => buildBulkCashinNotify() };
const QR = { path: '/v1.0/qr/qr-cpm-notify', service: '79', build: () => buildQrCpmNotify() };

let database: TestDatabase;
let apps: TestApps;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  apps = buildApps(database, buildConfig({ sources: [snapSource()] }));
});

const issueToken = (app = apps.publicApp) => issueTokenFrom(app, apps.deps.clock);

/** A notify as a provider would send it, to this file's app unless told otherwise. */
function notify(path: string, options: NotifyOptions & { app?: TestApps['publicApp'] } = {}) {
  return sendNotify(options.app ?? apps.publicApp, apps.deps.clock, path, options);
}

const eventCount = () => countEvents(database);

async function eventsByReference() {
  const rows = await database.handle.db.selectFrom('events').selectAll().orderBy('reference').execute();
  return rows.map((e) => [e.channel, e.reference, e.status, e.provider_status]);
}

describe.each([BULK, QR])('POST $path (service $service)', ({ path, service, build }) => {
  it(`answers 200${service}00 and stores the report`, async () => {
    const token = await issueToken();

    const res = await notify(path, { token, body: build() });

    expect(res.status).toBe(200);
    expect(res.headers['x-timestamp']).toBe('2026-11-22T10:00:00+07:00');
    expect(res.body).toEqual(
      service === '41'
        ? { responseCode: '2004100', responseMessage: 'Successful', bulkId: '2020102977770000000009', partnerBulkId: '2020102900000000000001' }
        : { responseCode: '2007900', responseMessage: 'Successful' },
    );
    expect(await eventCount()).toBe(1);
  });

  describe('refusals, in the order of CONTRACT 3.2', () => {
    const cases: [string, (token: string) => NotifyOptions | Promise<NotifyOptions>, number, string, string][] = [
      ['an unknown partner', (token) => ({ token, headers: { 'X-PARTNER-ID': 'nobody' } }), 401, '00', 'Unauthorized. Unknown partner'],
      ['no X-PARTNER-ID', (token) => ({ token, headers: { 'X-PARTNER-ID': undefined } }), 400, '02', 'Invalid Mandatory Field X-PARTNER-ID'],
      ['no X-TIMESTAMP', (token) => ({ token, headers: { 'X-TIMESTAMP': '' } }), 400, '02', 'Invalid Mandatory Field X-TIMESTAMP'],
      ['no X-SIGNATURE', (token) => ({ token, headers: { 'X-SIGNATURE': undefined } }), 400, '02', 'Invalid Mandatory Field X-SIGNATURE'],
      ['no X-EXTERNAL-ID', (token) => ({ token, headers: { 'X-EXTERNAL-ID': undefined } }), 400, '02', 'Invalid Mandatory Field X-EXTERNAL-ID'],
      ['no CHANNEL-ID', (token) => ({ token, headers: { 'CHANNEL-ID': undefined } }), 400, '02', 'Invalid Mandatory Field CHANNEL-ID'],
      ['no Authorization', (token) => ({ token, headers: { Authorization: undefined } }), 400, '02', 'Invalid Mandatory Field Authorization'],
      ['a timestamp in another format', (token) => ({ token, headers: { 'X-TIMESTAMP': '22/11/2026 10:00:00' } }), 400, '01', 'Invalid Field Format X-TIMESTAMP'],
      ['a stale timestamp', (token) => ({ token, headers: { 'X-TIMESTAMP': '2026-11-22T09:50:00+07:00' } }), 401, '00', 'Unauthorized. Timestamp out of range'],
      ['a timestamp from the future', (token) => ({ token, headers: { 'X-TIMESTAMP': '2026-11-22T10:10:00+07:00' } }), 401, '00', 'Unauthorized. Timestamp out of range'],
      ['an X-EXTERNAL-ID with a space', (token) => ({ token, externalId: 'abc 123' }), 400, '01', 'Invalid Field Format X-EXTERNAL-ID'],
      ['an X-EXTERNAL-ID that is not ASCII', (token) => ({ token, externalId: 'abc\u00e9' }), 400, '01', 'Invalid Field Format X-EXTERNAL-ID'],
      ['an X-EXTERNAL-ID over 64 characters', (token) => ({ token, externalId: '1'.repeat(65) }), 400, '01', 'Invalid Field Format X-EXTERNAL-ID'],
      ['a timestamp offset with 60 minutes', (token) => ({ token, headers: { 'X-TIMESTAMP': '2026-11-22T10:00:00+07:60' } }), 400, '01', 'Invalid Field Format X-TIMESTAMP'],
      ['a timestamp offset of 99 hours', (token) => ({ token, headers: { 'X-TIMESTAMP': '2026-11-22T10:00:00+99:00' } }), 400, '01', 'Invalid Field Format X-TIMESTAMP'],
      ['an unknown token', () => ({ token: 'made-up-token' }), 401, '01', 'Invalid Token (B2B)'],
      ['a malformed Authorization', (token) => ({ token, headers: { Authorization: token } }), 401, '01', 'Invalid Token (B2B)'],
      ['a signature with the wrong secret', (token) => ({ token, secret: 'not-the-secret' }), 401, '00', 'Unauthorized. Invalid Signature'],
      ['a signature over another body', (token) => ({ token, signedBody: '{"other":true}' }), 401, '00', 'Unauthorized. Invalid Signature'],
      ['a correctly signed body that is not JSON', (token) => ({ token, body: 'status=00' }), 400, '00', 'Bad Request'],
    ];

    it.each(cases)('refuses %s', async (_what, optionsFor, status, caseCode, responseMessage) => {
      const token = await issueToken();
      const options = await optionsFor(token);

      const res = await notify(path, { body: build(), ...options });

      expect(res.status).toBe(status);
      expect(res.body).toEqual({ responseCode: `${status}${service}${caseCode}`, responseMessage });
      expect(res.headers['x-timestamp']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/);
      expect(await eventCount()).toBe(0);
      const records = await database.handle.db.selectFrom('inbound_records').selectAll().where('outcome', '=', 'rejected').execute();
      expect(records).toHaveLength(1);
      expect(records[0]?.response_status).toBe(status);
    });

    it(`refuses a disallowed IP with 401${service}00`, async () => {
      const config = buildConfig({ sources: [snapSource({ allowedIps: ['203.0.113.0/24'] })] });

      const res = await notify(path, { body: build(), app: buildApps(database, config).publicApp });

      expect(res.status).toBe(401);
      expect(res.body).toEqual({ responseCode: `401${service}00`, responseMessage: 'Unauthorized. IP not allowed' });
    });

    it(`refuses a source over its rate limit with 429${service}00`, async () => {
      const limited = buildApps(database, buildConfig({ sources: [snapSource({ rateLimitPerMinute: 1, signature: 'asymmetric' })] })).publicApp;

      await notify(path, { body: build(), app: limited, signWith: 'asymmetric', externalId: 'A1' }).expect(200);
      const res = await notify(path, { body: build(), app: limited, signWith: 'asymmetric', externalId: 'A2' });

      expect(res.status).toBe(429);
      expect(res.body).toEqual({ responseCode: `429${service}00`, responseMessage: 'Too Many Requests' });
    });

    it(`refuses an expired token with 401${service}01`, async () => {
      const token = await issueToken();
      apps.deps.clock.advance(901_000);

      const res = await notify(path, { token, body: build() });

      expect(res.body).toEqual({ responseCode: `401${service}01`, responseMessage: 'Invalid Token (B2B)' });
    });

    it(`refuses a token issued to another source with 401${service}01`, async () => {
      const other = snapSource({ id: 'bank-y', partnerId: 'PARTNER-Y', clientSecret: CLIENT_SECRET });
      const both = buildApps(database, buildConfig({ sources: [snapSource(), other] }));
      const timestamp = snapTimestamp(apps.deps.clock.now());
      const tokenOfY = await request(both.publicApp)
        .post('/v1.0/access-token/b2b')
        .set('X-CLIENT-KEY', 'PARTNER-Y')
        .set('X-TIMESTAMP', timestamp)
        .set('X-SIGNATURE', providerSigner.accessToken('PARTNER-Y', timestamp))
        .send({ grantType: 'client_credentials' });

      const res = await notify(path, { token: tokenOfY.body.accessToken, body: build(), app: both.publicApp });

      expect(res.body).toEqual({ responseCode: `401${service}01`, responseMessage: 'Invalid Token (B2B)' });
    });

    it(`answers 500${service}00 without internals when storage fails`, async () => {
      const broken = await createTestDatabase();
      const config = buildConfig({ sources: [snapSource({ signature: 'asymmetric' })] });
      const app = buildApps(broken, config).publicApp;
      await broken.close();

      const res = await notify(path, { body: build(), app, signWith: 'asymmetric' });

      expect(res.status).toBe(500);
      expect(res.body).toEqual({ responseCode: `500${service}00`, responseMessage: 'General Error' });
    });
  });

  it('verifies a signature made over a pretty-printed body, and refuses it once a value changes', async () => {
    const token = await issueToken();
    const pretty = JSON.stringify(build(), null, 4);

    const accepted = await notify(path, { token, body: pretty });
    const tampered = await notify(path, { token, body: pretty.replace('IDR', 'USD'), signedBody: pretty, externalId: 'X2' });

    expect(accepted.status).toBe(200);
    expect(tampered.body).toEqual({ responseCode: `401${service}00`, responseMessage: 'Unauthorized. Invalid Signature' });
  });

  it('gives the first answer again for the same X-EXTERNAL-ID and body, and stores one event', async () => {
    const token = await issueToken();
    const body = build();

    const first = await notify(path, { token, body });
    apps.deps.clock.advance(60_000);
    // Whitespace differs, the request does not.
    const second = await notify(path, { token, body: JSON.stringify(body, null, 2) });

    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await eventCount()).toBe(1);
    const outcomes = await database.handle.db.selectFrom('inbound_records').select('outcome').where('channel', 'like', 'snap.%-%').orderBy('id').execute();
    expect(outcomes.map((o) => o.outcome).slice(-2)).toEqual(['accepted', 'duplicate']);
    // The repeat is kept as a report of every event the first request made, for the timeline.
    const repeated = await database.handle.db.selectFrom('inbound_records').select('id').where('outcome', '=', 'duplicate').executeTakeFirstOrThrow();
    const events = await database.handle.db.selectFrom('events').select('id').execute();
    const links = await database.handle.db.selectFrom('event_repeats').select(['event_id', 'inbound_id']).where('inbound_id', '=', repeated.id).execute();
    expect(links.map((l) => l.event_id).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it(`answers 409${service}00 for the same X-EXTERNAL-ID with another body`, async () => {
    const token = await issueToken();
    await notify(path, { token, body: build() }).expect(200);

    const res = await notify(path, { token, body: { ...build(), additionalInfo: { changed: true } } });

    expect(res.status).toBe(409);
    expect(res.body).toEqual({ responseCode: `409${service}00`, responseMessage: 'Conflict' });
    expect(await eventCount()).toBe(1);
  });

  it('treats the same X-EXTERNAL-ID on the next Jakarta day as a new request', async () => {
    const token = await issueToken();
    await notify(path, { token, body: build() }).expect(200);
    // 10:00 → 23:59:59 is the same day in Jakarta; 00:00:01 the next.
    apps.deps.clock.set('2026-11-22T16:59:59.000Z');
    const sameDayToken = await issueToken();
    const sameDay = await notify(path, { token: sameDayToken, body: { ...build(), additionalInfo: { n: 2 } } });
    apps.deps.clock.set('2026-11-22T17:00:01.000Z');
    const nextDayToken = await issueToken();
    const nextDay = await notify(path, { token: nextDayToken, body: { ...build(), additionalInfo: { n: 3 } } });

    expect(sameDay.status).toBe(409);
    expect(nextDay.status).toBe(200);
  });
});

describe('POST /v1.0/emoney/bulk-cashin-notify', () => {
  it('makes one event per item with the status its responseCode gives', async () => {
    const token = await issueToken();
    const items = [
      buildBulkItem({ partnerReferenceNo: 'P-1', referenceNo: 'R-1', responseCode: '2004100' }),
      buildBulkItem({ partnerReferenceNo: 'P-2', referenceNo: 'R-2', responseCode: '2024100' }),
      buildBulkItem({ partnerReferenceNo: 'P-3', referenceNo: 'R-3', responseCode: '4034114' }),
    ];

    await notify(BULK.path, { token, body: buildBulkCashinNotify({}, items) }).expect(200);

    expect(await eventsByReference()).toEqual([
      ['snap.bulk-cashin', 'P-1', 'SUCCESS', '2004100'],
      ['snap.bulk-cashin', 'P-2', 'PENDING', '2024100'],
      ['snap.bulk-cashin', 'P-3', 'FAILED', '4034114'],
    ]);
    const event = await database.handle.db.selectFrom('events').selectAll().where('reference', '=', 'P-1').executeTakeFirstOrThrow();
    expect(event).toMatchObject({ provider_reference: 'R-1', amount_value: '12345678.00', amount_currency: 'IDR' });
    expect(JSON.parse(event.details)).toMatchObject({ bulkId: '2020102977770000000009', partnerBulkId: '2020102900000000000001', customerNumber: '6281388370001' });
  });

  it.each<[string, object, string, string]>([
    ['no bulkId', { bulkId: undefined }, '02', 'Invalid Mandatory Field bulkId'],
    ['an empty bulkObject', { bulkObject: [] }, '02', 'Invalid Mandatory Field bulkObject'],
    ['an item without partnerReferenceNo', { bulkObject: [buildBulkItem({ partnerReferenceNo: undefined })] }, '02', 'Invalid Mandatory Field bulkObject[0].partnerReferenceNo'],
    ['an amount with one decimal', { bulkObject: [buildBulkItem({ amount: { value: '100.0', currency: 'IDR' } })] }, '01', 'Invalid Field Format bulkObject[0].amount.value'],
    ['an amount as a number', { bulkObject: [buildBulkItem({ amount: { value: 100, currency: 'IDR' } })] }, '01', 'Invalid Field Format bulkObject[0].amount.value'],
    ['a currency of two letters', { bulkObject: [buildBulkItem({ amount: { value: '1.00', currency: 'ID' } })] }, '01', 'Invalid Field Format bulkObject[0].amount.currency'],
    ['a customerName over 30 characters', { bulkObject: [buildBulkItem({ customerName: 'x'.repeat(31) })] }, '01', 'Invalid Field Format bulkObject[0].customerName'],
    ['a body that is an array', [], '01', 'Invalid Field Format body'],
  ])('answers 400 for %s', async (_what, override, caseCode, responseMessage) => {
    const token = await issueToken();
    const body = Array.isArray(override) ? override : JSON.parse(JSON.stringify({ ...buildBulkCashinNotify(), ...override }));

    const res = await notify(BULK.path, { token, body });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ responseCode: `40041${caseCode}`, responseMessage });
    expect(await eventCount()).toBe(0);
  });

  it('refuses more items than the source allows', async () => {
    const small = buildApps(database, buildConfig({ sources: [snapSource({ maxBulkItems: 2, signature: 'asymmetric' })] }));
    const items = [1, 2, 3].map((n) => buildBulkItem({ partnerReferenceNo: `P-${n}` }));

    const res = await notify(BULK.path, { app: small.publicApp, signWith: 'asymmetric', body: buildBulkCashinNotify({}, items) });

    expect(res.body).toEqual({ responseCode: '4004101', responseMessage: 'Invalid Field Format bulkObject' });
  });
});

describe('POST /v1.0/qr/qr-cpm-notify', () => {
  it.each([
    ['00', 'SUCCESS'],
    ['01', 'PENDING'],
    ['02', 'PENDING'],
    ['03', 'PENDING'],
    ['04', 'REFUNDED'],
    ['05', 'CANCELED'],
    ['06', 'FAILED'],
    ['07', 'NOT_FOUND'],
  ])('maps latestTransactionStatus %s to %s', async (code, status) => {
    const token = await issueToken();

    await notify(QR.path, { token, body: buildQrCpmNotify({ latestTransactionStatus: code }) }).expect(200);

    expect(await eventsByReference()).toEqual([['snap.qr-cpm', '2020102900000000000001', status, code]]);
  });

  it('falls back to originalReferenceNo when there is no originalPartnerReferenceNo', async () => {
    const token = await issueToken();

    await notify(QR.path, { token, body: buildQrCpmNotify({ originalPartnerReferenceNo: undefined }) }).expect(200);

    expect(await eventsByReference()).toEqual([['snap.qr-cpm', '2020102977770000000009', 'SUCCESS', '00']]);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['no reference at all', { originalPartnerReferenceNo: undefined, originalReferenceNo: undefined }, '02', 'Invalid Mandatory Field originalPartnerReferenceNo'],
    ['no latestTransactionStatus', { latestTransactionStatus: undefined }, '02', 'Invalid Mandatory Field latestTransactionStatus'],
    ['a status outside 00–07', { latestTransactionStatus: '08' }, '01', 'Invalid Field Format latestTransactionStatus'],
    ['no merchantId', { merchantId: undefined }, '02', 'Invalid Mandatory Field merchantId'],
    ['a bankCode over 8 characters', { bankCode: '123456789' }, '01', 'Invalid Field Format bankCode'],
    ['a reference with a NUL character', { originalPartnerReferenceNo: 'R7\u0000NUL' }, '01', 'Invalid Field Format originalPartnerReferenceNo'],
    ['a reference with a line break', { originalReferenceNo: 'R7\nX' }, '01', 'Invalid Field Format originalReferenceNo'],
  ])('answers 400 for %s', async (_what, override, caseCode, responseMessage) => {
    const token = await issueToken();

    const res = await notify(QR.path, { token, body: JSON.parse(JSON.stringify(buildQrCpmNotify(override))) });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ responseCode: `40079${caseCode}`, responseMessage });
  });
});

describe('an asymmetric source', () => {
  const asymmetric = () => buildApps(database, buildConfig({ sources: [snapSource({ signature: 'asymmetric', clientSecret: null })] }));

  it('needs no Bearer token and accepts an RSA signature', async () => {
    const res = await notify(QR.path, { app: asymmetric().publicApp, signWith: 'asymmetric', body: buildQrCpmNotify(), headers: { Authorization: undefined } });

    expect(res.body).toEqual({ responseCode: '2007900', responseMessage: 'Successful' });
  });

  it('refuses a signature by a key it does not trust', async () => {
    const res = await notify(QR.path, { app: asymmetric().publicApp, signWith: 'asymmetric', privateKey: OTHER_PRIVATE_KEY, body: buildQrCpmNotify() });

    expect(res.body).toEqual({ responseCode: '4017900', responseMessage: 'Unauthorized. Invalid Signature' });
  });
});

describe('access tokens', () => {
  it('survive a restart: a token from one app instance works on a new one', async () => {
    const token = await issueToken();
    const restarted: Config = buildConfig({ sources: [snapSource()] });

    const res = await notify(QR.path, { token, body: buildQrCpmNotify(), app: buildApps(database, restarted).publicApp });

    expect(res.body.responseCode).toBe('2007900');
  });
});
