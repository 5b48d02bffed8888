import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Config } from '../../../src/config/config';
import { type TestApps, buildApps } from '../../support/app';
import { buildConfig } from '../../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../../support/database';
import { OTHER_PRIVATE_KEY, PARTNER_ID, providerSigner, snapSource, snapTimestamp } from '../../support/snap';

const PATH = '/v1.0/access-token/b2b';
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

function tokenRequest(
  options: { headers?: Record<string, string | undefined>; body?: string; signWith?: string; config?: Config } = {},
) {
  const app = options.config ? buildApps(database, options.config).publicApp : apps.publicApp;
  const timestamp = options.headers?.['X-TIMESTAMP'] ?? snapTimestamp(apps.deps.clock.now());
  const headers: Record<string, string | undefined> = {
    'Content-Type': 'application/json',
    'X-CLIENT-KEY': PARTNER_ID,
    'X-TIMESTAMP': timestamp,
    'X-SIGNATURE': providerSigner.accessToken(PARTNER_ID, timestamp, options.signWith),
    ...options.headers,
  };
  const req = request(app).post(PATH);
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) req.set(name, value);
  return req.send(options.body ?? '{"grantType":"client_credentials"}');
}

async function rejectedRecords() {
  return database.handle.db.selectFrom('inbound_records').selectAll().where('outcome', '=', 'rejected').execute();
}

describe('POST /v1.0/access-token/b2b', () => {
  it('answers 2007300 with an opaque Bearer token and keeps only its hash', async () => {
    const res = await tokenRequest();

    expect(res.status).toBe(200);
    expect(res.headers['x-timestamp']).toBe('2026-11-22T10:00:00+07:00');
    expect(res.body).toEqual({
      responseCode: '2007300',
      responseMessage: 'Successful',
      accessToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: '900',
    });
    const rows = await database.handle.db.selectFrom('access_tokens').selectAll().execute();
    expect(rows).toEqual([
      {
        token_hash: createHash('sha256').update(res.body.accessToken).digest('hex'),
        source_id: 'bank-x',
        issued_at: '2026-11-22T03:00:00.000Z',
        expires_at: '2026-11-22T03:15:00.000Z',
      },
    ]);
    const [inbound] = await database.handle.db.selectFrom('inbound_records').selectAll().execute();
    expect(inbound?.outcome).toBe('accepted');
    expect(inbound?.response_body).not.toContain(res.body.accessToken);
    expect(JSON.parse(inbound?.headers ?? '{}')['x-signature']).toBe('[REDACTED]');
  });

  it('accepts grant_type as some provider SDKs send it', async () => {
    const res = await tokenRequest({ body: '{"grant_type":"client_credentials"}' });

    expect(res.body.responseCode).toBe('2007300');
  });

  it('issues a different token each time', async () => {
    const first = await tokenRequest();
    const second = await tokenRequest();

    expect(first.body.accessToken).not.toBe(second.body.accessToken);
  });

  it.each<[string, Parameters<typeof tokenRequest>[0], number, string, string]>([
    ['an unknown client', { headers: { 'X-CLIENT-KEY': 'nobody' } }, 401, '4017300', 'Unauthorized. Unknown client'],
    ['no X-CLIENT-KEY', { headers: { 'X-CLIENT-KEY': undefined } }, 400, '4007302', 'Invalid Mandatory Field X-CLIENT-KEY'],
    ['a disallowed IP', { config: buildConfig({ sources: [snapSource({ allowedIps: ['203.0.113.10'] })] }) }, 401, '4017300', 'Unauthorized. IP not allowed'],
    ['no X-TIMESTAMP', { headers: { 'X-TIMESTAMP': '' } }, 400, '4007302', 'Invalid Mandatory Field X-TIMESTAMP'],
    ['no X-SIGNATURE', { headers: { 'X-SIGNATURE': undefined } }, 400, '4007302', 'Invalid Mandatory Field X-SIGNATURE'],
    ['a timestamp without offset', { headers: { 'X-TIMESTAMP': '2026-11-22T10:00:00' } }, 400, '4007301', 'Invalid Field Format X-TIMESTAMP'],
    ['a stale timestamp', { headers: { 'X-TIMESTAMP': '2026-11-22T09:54:59+07:00' } }, 401, '4017300', 'Unauthorized. Timestamp out of range'],
    ['a timestamp from the future', { headers: { 'X-TIMESTAMP': '2026-11-22T10:05:01+07:00' } }, 401, '4017300', 'Unauthorized. Timestamp out of range'],
    ['a signature by another key', { signWith: OTHER_PRIVATE_KEY }, 401, '4017300', 'Unauthorized. Invalid Signature'],
    ['a garbled signature', { headers: { 'X-SIGNATURE': 'not base64 at all!' } }, 401, '4017300', 'Unauthorized. Invalid Signature'],
    ['a body that is not JSON', { body: 'grantType=client_credentials' }, 400, '4007300', 'Bad Request'],
    ['no grantType', { body: '{}' }, 400, '4007302', 'Invalid Mandatory Field grantType'],
    ['another grantType', { body: '{"grantType":"password"}' }, 400, '4007301', 'Invalid Field Format grantType'],
  ])('refuses %s', async (_what, options, status, responseCode, responseMessage) => {
    const res = await tokenRequest(options);

    expect(res.status).toBe(status);
    expect(res.body).toEqual({ responseCode, responseMessage });
    expect(res.headers['x-timestamp']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/);
    expect(await database.handle.db.selectFrom('access_tokens').selectAll().execute()).toEqual([]);
    const [record] = await rejectedRecords();
    expect(record).toMatchObject({ channel: 'snap.access-token', response_status: status });
    expect(JSON.parse(record?.response_body ?? '{}')).toEqual({ responseCode, responseMessage });
  });

  it('accepts timestamps at the edge of the window, in any offset', async () => {
    const early = await tokenRequest({ headers: { 'X-TIMESTAMP': '2026-11-22T09:55:00+07:00' } });
    const utc = await tokenRequest({ headers: { 'X-TIMESTAMP': '2026-11-22T03:05:00.000Z' } });

    expect(early.body.responseCode).toBe('2007300');
    expect(utc.body.responseCode).toBe('2007300');
  });

  it('answers 4297300 once the source exceeds its rate limit', async () => {
    const config = buildConfig({ sources: [snapSource({ rateLimitPerMinute: 1 })] });
    const app = buildApps(database, config).publicApp;
    const send = () => {
      const timestamp = snapTimestamp(apps.deps.clock.now());
      return request(app)
        .post(PATH)
        .set('X-CLIENT-KEY', PARTNER_ID)
        .set('X-TIMESTAMP', timestamp)
        .set('X-SIGNATURE', providerSigner.accessToken(PARTNER_ID, timestamp))
        .send({ grantType: 'client_credentials' });
    };

    await send().expect(200);
    const res = await send();

    expect(res.status).toBe(429);
    expect(res.body).toEqual({ responseCode: '4297300', responseMessage: 'Too Many Requests' });
  });
});
