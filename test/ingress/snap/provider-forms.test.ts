import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { type TestApps, buildApps } from '../../support/app';
import { ADMIN_TOKEN, billerSource, buildConfig } from '../../support/config';
import { type TestDatabase, clearTables, countEvents, createTestDatabase } from '../../support/database';
import { JSON_STYLES, type JsonStyle, serialize } from '../../support/json-styles';
import { PARTNER_ID, buildBulkCashinNotify, buildQrCpmNotify, providerSigner, snapSource, snapTimestamp } from '../../support/snap';
import { type NotifyOptions, issueToken, sendNotify } from '../../support/snap-client';

// How real providers' SDKs call: their own JSON spelling, their own idea of what to sign, proxies
// in between (CONTRACT 3.2), and the limits every public route keeps (CONTRACT 3).

const QR_PATH = '/v1.0/qr/qr-cpm-notify';
const BULK_PATH = '/v1.0/emoney/bulk-cashin-notify';
const MODES = ['symmetric', 'asymmetric'] as const;

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
  apps = buildApps(database, buildConfig({ sources: [snapSource({ signaturePathPrefix: '/receiver' }), billerSource()] }));
});

/** A notify in the given signature mode: symmetric ones get a fresh Bearer token first. */
async function notify(mode: (typeof MODES)[number], path: string, options: NotifyOptions & { app?: TestApps } = {}) {
  const target = options.app ?? apps;
  if (mode === 'asymmetric') {
    const asymmetric = buildApps(database, buildConfig({ sources: [snapSource({ signature: 'asymmetric', signaturePathPrefix: '/receiver' })] }));
    return sendNotify(asymmetric.publicApp, asymmetric.deps.clock, path, { ...options, signWith: 'asymmetric', headers: { Authorization: undefined, ...options.headers } });
  }
  const token = await issueToken(target.publicApp, target.deps.clock);
  return sendNotify(target.publicApp, target.deps.clock, path, { token, ...options });
}

/** Headers of a symmetric notify whose signature does not matter (the body is refused before it is checked). */
function snapHeaders(token: string): Record<string, string> {
  return {
    Authorization: `Bearer ${token}`,
    'X-TIMESTAMP': snapTimestamp(apps.deps.clock.now()),
    'X-SIGNATURE': 'AAAA',
    'X-PARTNER-ID': PARTNER_ID,
    'X-EXTERNAL-ID': 'STREAMED-1',
    'CHANNEL-ID': '95221',
  };
}

/** What the admin API shows of the requests received, newest first (token requests left out unless asked). */
async function inboundRecords(withTokenRequests = false) {
  const res = await request(apps.adminApp).get('/admin/inbound?limit=500').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
  return (res.body.items as { channel: string; outcome: string; reason: string | null; body: string | null; signature: unknown }[]).filter(
    (r) => withTokenRequests || r.channel !== 'snap.access-token',
  );
}

// A body with what each SDK family spells its own way: slashes, non-ASCII, HTML characters, numbers.
const awkward = () =>
  buildQrCpmNotify({
    transactionStatusDesc: 'Sukses <OK> & \'done\'',
    additionalInfo: { callbackUrl: 'https://merchant.example/cb?a=1&b=2', merchantName: 'Kopi Tubruk Café 東京', tip: 10000, ratio: 0.5, big: 12345678 },
  });

describe.each(MODES)('a %s source', (mode) => {
  it.each(JSON_STYLES)('accepts a %s body signed over the bytes it sends, and records the raw form', async (style: JsonStyle) => {
    const body = serialize(awkward(), style);

    const res = await notify(mode, QR_PATH, { body });

    expect(res.body).toEqual({ responseCode: '2007900', responseMessage: 'Successful' });
    expect(await countEvents(database)).toBe(1);
    const [record] = await inboundRecords();
    expect(record).toMatchObject({ outcome: 'accepted', body, signature: { form: 'raw', path: QR_PATH } });
  });

  it('accepts a pretty body signed in its minified form (whitespace outside strings removed)', async () => {
    const sent = serialize(awkward(), 'pretty-php');
    const minified = serialize(awkward(), 'php');

    const res = await notify(mode, QR_PATH, { body: sent, signedBody: minified });

    expect(res.status).toBe(200);
    expect((await inboundRecords())[0]?.signature).toEqual({ form: 'minified', path: QR_PATH });
  });

  it('accepts a PHP body signed over its JavaScript re-serialisation', async () => {
    const sent = serialize(awkward(), 'php');

    const res = await notify(mode, QR_PATH, { body: sent, signedBody: JSON.stringify(JSON.parse(sent)) });

    expect(res.status).toBe(200);
    expect((await inboundRecords())[0]?.signature).toEqual({ form: 'reserialized', path: QR_PATH });
  });

  it('refuses a signature over a form the receiver does not derive (keys reordered)', async () => {
    const sent = serialize(awkward(), 'js');
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(sent)).reverse()));

    const res = await notify(mode, QR_PATH, { body: sent, signedBody: reordered });

    expect(res.body).toEqual({ responseCode: '4017900', responseMessage: 'Unauthorized. Invalid Signature' });
    expect(await countEvents(database)).toBe(0);
  });

  it('accepts a signature over the path with its query string, as received and undecoded', async () => {
    const path = `${QR_PATH}?channel=QRIS&cb=%2Fx`;

    const res = await notify(mode, path, { body: buildQrCpmNotify() });

    expect(res.status).toBe(200);
    expect((await inboundRecords())[0]?.signature).toEqual({ form: 'raw', path });
  });

  it('accepts a signature over the path without the query string a proxy added', async () => {
    const res = await notify(mode, `${QR_PATH}?via=proxy`, { body: buildQrCpmNotify(), signedPath: QR_PATH });

    expect(res.status).toBe(200);
    expect((await inboundRecords())[0]?.signature).toEqual({ form: 'raw', path: QR_PATH });
  });

  it('accepts a signature over the path before a proxy stripped the source\'s signaturePathPrefix', async () => {
    const res = await notify(mode, QR_PATH, { body: buildQrCpmNotify(), signedPath: `/receiver${QR_PATH}` });

    expect(res.status).toBe(200);
    expect((await inboundRecords())[0]?.signature).toEqual({ form: 'raw', path: `/receiver${QR_PATH}` });
  });

  it('refuses a signature over a prefix the source did not configure', async () => {
    const res = await notify(mode, QR_PATH, { body: buildQrCpmNotify(), signedPath: `/other${QR_PATH}` });

    expect(res.body.responseCode).toBe('4017900');
  });

  it.each([
    ['missing padding', (s: string) => s.replace(/=+$/, '')],
    ['URL-safe letters', (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_')],
    ['trailing junk', (s: string) => `${s}AAAA`],
  ])('refuses a correct signature spelled with %s', async (_what, respell) => {
    const target = mode === 'asymmetric' ? buildApps(database, buildConfig({ sources: [snapSource({ signature: 'asymmetric' })] })) : apps;
    const token = mode === 'symmetric' ? await issueToken(target.publicApp, target.deps.clock) : '';
    const body = serialize(buildQrCpmNotify(), 'js');
    // A signature is random-looking: move the clock until this spelling changes it (no `+` or `/` is possible).
    let timestamp = snapTimestamp(target.deps.clock.now());
    let signature = '';
    for (;;) {
      signature = mode === 'asymmetric' ? providerSigner.asymmetric(QR_PATH, body, timestamp) : providerSigner.symmetric(QR_PATH, token, body, timestamp);
      if (respell(signature) !== signature) break;
      target.deps.clock.advance(1000);
      timestamp = snapTimestamp(target.deps.clock.now());
    }
    const spelled = respell(signature);

    const res = await sendNotify(target.publicApp, target.deps.clock, QR_PATH, {
      body,
      token,
      headers: { 'X-SIGNATURE': spelled, 'X-TIMESTAMP': timestamp, ...(mode === 'asymmetric' ? { Authorization: undefined } : {}) },
    });

    // node would decode the respelling to the very same signature bytes.
    expect(Buffer.from(spelled, 'base64').subarray(0, 64)).toEqual(Buffer.from(signature, 'base64').subarray(0, 64));
    expect(res.body).toEqual({ responseCode: '4017900', responseMessage: 'Unauthorized. Invalid Signature' });
    expect(await countEvents(database)).toBe(0);
  });

  it('answers 4007900 for a correctly signed body nested deeper than 32 levels, and keeps serving', async () => {
    // Built as text: JSON.stringify itself overflows on such a value.
    const deep = JSON.stringify(buildQrCpmNotify()).replace(/}$/, `,"additionalInfo":${'{"a":'.repeat(5000)}1${'}'.repeat(5001)}`);

    const res = await notify(mode, QR_PATH, { body: deep });

    expect(res.body).toEqual({ responseCode: '4007900', responseMessage: 'Bad Request' });
    const [record] = await inboundRecords();
    expect(record).toMatchObject({ outcome: 'rejected', reason: 'Bad Request: JSON nested deeper than 32 levels', signature: { form: 'raw' } });
    expect(Buffer.byteLength(record?.body ?? '')).toBe(4096);
    expect((await notify(mode, QR_PATH, { body: buildQrCpmNotify(), externalId: 'after-deep' })).status).toBe(200);
  });

  it('records a correctly signed body carrying a raw NUL byte, refused as not JSON', async () => {
    const body = Buffer.concat([Buffer.from('{"originalPartnerReferenceNo":"R'), Buffer.from([0]), Buffer.from('"}')]).toString('latin1');

    const res = await notify(mode, QR_PATH, { body });

    expect(res.body).toEqual({ responseCode: '4007900', responseMessage: 'Bad Request' });
    const [record] = await inboundRecords();
    expect(record).toMatchObject({ outcome: 'rejected', body: '{"originalPartnerReferenceNo":"R\ufffd"}' });
  });

  it('accepts 32 levels of nesting', async () => {
    const body = { ...buildQrCpmNotify(), additionalInfo: JSON.parse(`${'{"a":'.repeat(31)}1${'}'.repeat(31)}`) };

    const res = await notify(mode, QR_PATH, { body });

    expect(res.status).toBe(200);
  });
});

describe('X-EXTERNAL-ID', () => {
  it.each([
    ['DOKU\'s 50-character uuid-epochMillis', '9f1c6a4e-2b7d-4c3e-8f5a-1d2e3f4a5b6c-1732252800000'],
    ['the seeds\' 32 digits', '41807553358950093184162180797837'],
    ['64 visible ASCII characters', `${'A'.repeat(30)}_.:~!@#$%^&*()[]{}<>?/|\\+=${'z'.repeat(8)}`],
    ['one character', 'x'],
  ])('accepts %s', async (_what, externalId) => {
    expect(externalId.length).toBeLessThanOrEqual(64);
    expect(externalId).toMatch(/^[\x21-\x7e]+$/);

    const res = await notify('symmetric', QR_PATH, { body: buildQrCpmNotify(), externalId });

    expect(res.status).toBe(200);
  });

  it('answers a retry spaced and escaped differently with the first answer, storing nothing new', async () => {
    const body = buildBulkCashinNotify();
    const first = await notify('symmetric', BULK_PATH, { body: serialize(body, 'js'), externalId: 'RETRY-1' });
    apps.deps.clock.advance(30_000);

    const retry = await notify('symmetric', BULK_PATH, { body: serialize(body, 'pretty-php'), externalId: 'RETRY-1' });

    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await countEvents(database)).toBe(1);
    expect((await inboundRecords()).map((r) => r.outcome)).toEqual(['duplicate', 'accepted']);
  });

  it('is counted per service: one id may be used once on each notify route the same day', async () => {
    const onBulk = await notify('symmetric', BULK_PATH, { body: buildBulkCashinNotify(), externalId: 'SHARED-1' });
    const onQr = await notify('symmetric', QR_PATH, { body: buildQrCpmNotify(), externalId: 'SHARED-1' });

    expect(onBulk.body.responseCode).toBe('2004100');
    expect(onQr.body).toEqual({ responseCode: '2007900', responseMessage: 'Successful' });
    expect(await countEvents(database)).toBe(2);
  });
});

describe('limits on every public route', () => {
  const oversize = () => `{"pad":"${'x'.repeat(1024 * 1024)}"}`;

  it('answers 4137900 to a body over 1 MiB and keeps only its first 4 KiB', async () => {
    const res = await notify('symmetric', QR_PATH, { body: oversize() });

    expect(res.status).toBe(413);
    expect(res.body).toEqual({ responseCode: '4137900', responseMessage: 'Payload Too Large' });
    const [record] = await inboundRecords();
    expect(record?.outcome).toBe('rejected');
    expect(record?.body).toBe(oversize().slice(0, 4096));
  });

  it('answers 413 before looking at who is calling', async () => {
    const res = await request(apps.publicApp).post(BULK_PATH).set('Content-Type', 'application/json').send(oversize());

    expect(res.body).toEqual({ responseCode: '4134100', responseMessage: 'Payload Too Large' });
  });

  it('answers 413 to a streamed body that passes 1 MiB without declaring its length', async () => {
    const token = await issueToken(apps.publicApp, apps.deps.clock);
    const server = apps.publicApp.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    // A chunked body: no Content-Length, so only reading it tells its size.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: QR_PATH, headers: { ...snapHeaders(token), 'Transfer-Encoding': 'chunked' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024));
      req.end();
    });
    server.close();

    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ responseCode: '4137900', responseMessage: 'Payload Too Large' });
    expect((await inboundRecords())[0]?.body).toBe('x'.repeat(4096));
  });

  it('answers 413 on the biller route to a streamed body that passes 1 MiB', async () => {
    const server = apps.publicApp.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'GET', path: '/callbacks/biller/biller-a/biller-test-token?status=0&refid=STREAM-1', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024));
      req.end();
    });
    server.close();

    expect(status).toBe(413);
    expect(await countEvents(database)).toBe(0);
  });

  it('answers 413 on the biller route too', async () => {
    const res = await request(apps.publicApp).get('/callbacks/biller/biller-a/biller-test-token?status=0&refid=R1').send(oversize());

    expect(res.status).toBe(413);
    expect(await countEvents(database)).toBe(0);
  });

  it.each<['HEAD' | 'POST' | 'GET' | 'PUT' | 'DELETE', string, string]>([
    ['HEAD', '/callbacks/biller/biller-a/biller-test-token?status=0&refid=HEAD-1', 'GET'],
    ['POST', '/callbacks/biller/biller-a/biller-test-token?status=0&refid=POST-1', 'GET'],
    ['GET', QR_PATH, 'POST'],
    ['HEAD', BULK_PATH, 'POST'],
    ['PUT', '/v1.0/access-token/b2b', 'POST'],
    ['DELETE', QR_PATH, 'POST'],
  ])('answers %s %s with 405 and Allow: %s, making no event', async (method, path, allow) => {
    const res = await request(apps.publicApp)[method.toLowerCase() as Lowercase<typeof method>](path);

    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(await countEvents(database)).toBe(0);
    const [record] = await inboundRecords(true);
    expect(record).toMatchObject({ outcome: 'rejected' });
  });

  it('answers a SNAP route\'s 405 in SNAP terms', async () => {
    const res = await request(apps.publicApp).get(QR_PATH);

    expect(res.body).toEqual({ responseCode: '4057900', responseMessage: 'Requested Function Is Not Supported' });
  });
});
