import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, BILLER_TOKEN, billerSource, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { rawRequest } from '../support/raw-http';
import { buildQrCpmNotify, snapSource } from '../support/snap';
import { issueToken, sendNotify } from '../support/snap-client';

// CONTRACT 3: the biller path token however the path is spelled, Bearer tokens, signatures and any
// header not on the known-safe list never reach a log line or a stored record.

const QUERY = 'status=0&refid=R-1';
const PARTNER = 'visible-partner-7';
const WRONG = 'Wrong-Secret-Guess-42';
const percentEncoded = (text: string) => [...Buffer.from(text)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

let database: TestDatabase;
let apps: TestApps;
let lines: string[];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  lines = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  apps = buildApps(database, buildConfig({ sources: [billerSource(), snapSource()] }), { logger });
});

async function storedRecords(): Promise<string> {
  return JSON.stringify(await database.handle.db.selectFrom('inbound_records').selectAll().execute());
}

/** What was written about the request, once the request's line at response end is out. */
async function logText(): Promise<string> {
  await new Promise((resolve) => setImmediate(resolve));
  return lines.join('');
}

describe('the biller path token', () => {
  it.each<[string, string, number, string[], string?]>([
    ['as documented', `/callbacks/biller/biller-a/${BILLER_TOKEN}?${QUERY}`, 200, [BILLER_TOKEN]],
    ['with the path in another case', `/Callbacks/Biller/biller-a/${BILLER_TOKEN}?${QUERY}`, 200, [BILLER_TOKEN]],
    ['in an absolute-form request target', `http://receiver.example/callbacks/biller/biller-a/${BILLER_TOKEN}?${QUERY}`, 200, [BILLER_TOKEN]],
    ['in an absolute-form target in capitals', `HTTP://Receiver.Example/CALLBACKS/BILLER/biller-a/${BILLER_TOKEN}?${QUERY}`, 200, [BILLER_TOKEN]],
    ['with one character percent-encoded', `/callbacks/biller/biller-a/%62${BILLER_TOKEN.slice(1)}?${QUERY}`, 200, [BILLER_TOKEN, BILLER_TOKEN.slice(1)]],
    ['with every character percent-encoded', `/callbacks/biller/biller-a/${percentEncoded(BILLER_TOKEN)}?${QUERY}`, 200, [BILLER_TOKEN, percentEncoded(BILLER_TOKEN).slice(3)]],
    ['with lower-case percent escapes', `/callbacks/biller/biller-a/${percentEncoded(BILLER_TOKEN).toLowerCase()}?${QUERY}`, 200, [BILLER_TOKEN, percentEncoded(BILLER_TOKEN).toLowerCase().slice(3)]],
    ['and repeated in the query string', `/Callbacks/biller/biller-a/${BILLER_TOKEN}?${QUERY}&message=SN+${BILLER_TOKEN}`, 200, [BILLER_TOKEN]],
    ['with a trailing slash', `/callbacks/biller/biller-a/${BILLER_TOKEN}/?${QUERY}`, 200, [BILLER_TOKEN]],
    ['behind repeated slashes', `//callbacks//biller//biller-a//${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['after a doubled slash', `/callbacks/biller/biller-a//${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['behind percent-encoded path words', `/%63allbacks/%62iller/biller-a/${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['behind an encoded slash', `/callbacks/biller/biller-a%2F${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['behind backslashes', `/callbacks\\biller\\biller-a\\${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['followed by another segment', `/callbacks/biller/biller-a/${BILLER_TOKEN}/more?${QUERY}`, 404, [BILLER_TOKEN]],
    ['for an unknown source', `/Callbacks/Biller/nobody/${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['when it is wrong', `/CALLBACKS/biller/biller-a/${WRONG}?${QUERY}`, 403, [WRONG]],
    ['when it is wrong and percent-encoded', `/callbacks/biller/biller-a/%57${WRONG.slice(1)}?${QUERY}`, 403, [WRONG, WRONG.slice(1)]],
    ['when it is wrong, in an absolute-form target', `http://receiver.example/callbacks/Biller/biller-a/${WRONG}?${QUERY}`, 403, [WRONG]],
    ['with a method the route does not serve', `/Callbacks/biller/biller-a/${BILLER_TOKEN}?${QUERY}`, 405, [BILLER_TOKEN], 'DELETE'],
    ['where the source id goes', `/callbacks/biller/${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['after the source id and a backslash', `/callbacks/biller/biller-a\\${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['behind a dot segment no route matches', `/callbacks/./biller/biller-a/${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['on a misspelled route', `/callbacks/billers/biller-a/${BILLER_TOKEN}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['as a query parameter', `/callbacks/biller/biller-a?${QUERY}&token=${BILLER_TOKEN}`, 403, [BILLER_TOKEN]],
    ['wrong, where the source id goes', `/callbacks/biller/${WRONG}?${QUERY}`, 404, [WRONG]],
    ['in another case', `/callbacks/biller/biller-a/x/${BILLER_TOKEN.toUpperCase()}?${QUERY}`, 404, [BILLER_TOKEN.toUpperCase()]],
    ['percent-encoded twice', `/callbacks/biller/${encodeURIComponent(percentEncoded(BILLER_TOKEN))}?${QUERY}`, 404, [BILLER_TOKEN]],
    ['wrong, on a route that does not exist', `/callbacks-biller/biller-a/${WRONG}?${QUERY}&note=${WRONG}`, 404, [WRONG]],
  ])('reaches no log line and no stored record when sent %s', async (_name, target, status, secrets, method = 'GET') => {
    const res = await rawRequest(apps.publicApp, method, target, { 'X-Partner-Id': PARTNER, 'X-Api-Key': ADMIN_TOKEN });

    expect(res.status).toBe(status);
    const logged = await logText();
    const stored = await storedRecords();
    for (const secret of [...secrets, ADMIN_TOKEN]) {
      expect(logged).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    // The request was logged and, once routed, stored: with the safe header as sent and the other by name.
    expect(logged).toContain(`"x-partner-id":"${PARTNER}"`);
    expect(logged).toContain('"x-api-key":"[REDACTED]"');
    if (status !== 404 || target.includes('nobody')) {
      expect(stored).toContain(`\\"x-partner-id\\":\\"${PARTNER}\\"`);
      expect(stored).toContain('\\"x-api-key\\":\\"[REDACTED]\\"');
      expect(stored).toContain(target.includes('token=') ? '&token=[REDACTED]' : '[REDACTED]?status=0&refid=R-1');
    }
  });

  it('keeps the source and the query of the stored URL, so the request can be re-processed', async () => {
    await rawRequest(apps.publicApp, 'GET', `/Callbacks/Biller/biller-a/${BILLER_TOKEN}?${QUERY}`);

    const [record] = await database.handle.db.selectFrom('inbound_records').select('url').execute();
    expect(record?.url).toBe(`/Callbacks/Biller/biller-a/[REDACTED]?${QUERY}`);
  });
});

describe('SNAP credentials', () => {
  it('keep the Bearer token and the signature out of logs and records', async () => {
    const token = await issueToken(apps.publicApp, apps.deps.clock);

    const res = await sendNotify(apps.publicApp, apps.deps.clock, '/v1.0/qr/qr-cpm-notify', { token, body: buildQrCpmNotify() });

    expect(res.body.responseCode).toBe('2007900');
    const signature = String(res.request.getHeader('X-SIGNATURE'));
    const logged = await logText();
    const stored = await storedRecords();
    for (const secret of [token, signature]) {
      expect(logged).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    expect(logged).toContain('"x-partner-id":"8215');
  });
});

describe('the admin token on the admin listener', () => {
  it('is not logged when sent in an unexpected header', async () => {
    await request(apps.adminApp).get('/admin/events').set('X-Api-Key', ADMIN_TOKEN).expect(401);

    const logged = await logText();
    expect(logged).not.toContain(ADMIN_TOKEN);
    expect(logged).toContain('"x-api-key":"[REDACTED]"');
  });

  it.each([
    ['token', `/admin/events?limit=5&token=${ADMIN_TOKEN}`],
    ['a percent-encoded name', `/admin/events?limit=5&%74oken=${encodeURIComponent(ADMIN_TOKEN)}`],
    ['a name in capitals', `/admin/events?limit=5&LIMIT=${ADMIN_TOKEN}`],
  ])('is not logged when sent as the query parameter %s, while known parameters are', async (_name, url) => {
    await request(apps.adminApp).get(url).set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(400);

    const logged = await logText();
    expect(logged).not.toContain(ADMIN_TOKEN);
    expect(logged).toContain('"url":"/admin/events?limit=5&');
  });
});
