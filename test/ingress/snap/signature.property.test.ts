import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { type TestApps, buildApps } from '../../support/app';
import { buildConfig } from '../../support/config';
import { type TestDatabase, countEvents, createTestDatabase } from '../../support/database';
import { JSON_STYLES, type JsonStyle, serialize } from '../../support/json-styles';
import { PARTNER_ID, buildQrCpmNotify, providerSigner, snapSource, snapTimestamp } from '../../support/snap';
import { issueToken } from '../../support/snap-client';

// CONTRACT 3.2 as properties: whatever JSON a provider sends, in whichever SDK's spelling, a
// signature over the bytes it sent is accepted; and no single changed byte in what the signature
// covers gets anything stored.

const PATH = '/v1.0/qr/qr-cpm-notify';
type Mode = 'symmetric' | 'asymmetric';

let database: TestDatabase;
const apps = {} as Record<Mode, TestApps>;
let token = '';
let sequence = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  apps.symmetric = buildApps(database, buildConfig({ sources: [snapSource()] }));
  apps.asymmetric = buildApps(database, buildConfig({ sources: [snapSource({ signature: 'asymmetric', clientSecret: null })] }));
  token = await issueToken(apps.symmetric.publicApp, apps.symmetric.deps.clock);
});
afterAll(async () => {
  await database.close();
});

interface Notify {
  readonly mode: Mode;
  readonly body: Buffer;
  /** What the provider signs; what it sends unless a tampering changes it. */
  readonly signed: { readonly body: Buffer; readonly path: string; readonly timestamp: string; readonly token: string };
  readonly sent: { readonly path: string; readonly timestamp: string; readonly token: string; signature?: string };
}

/** A fresh, correctly signed notify for one reference of its own, carrying `extra` as its additionalInfo. */
function buildNotify(mode: Mode, style: JsonStyle, extra: unknown): Notify {
  sequence += 1;
  const body = Buffer.from(serialize(buildQrCpmNotify({ originalPartnerReferenceNo: `PROP-${sequence}`, additionalInfo: { extra } }), style));
  const timestamp = snapTimestamp(apps[mode].deps.clock.now());
  return { mode, body, signed: { body, path: PATH, timestamp, token }, sent: { path: PATH, timestamp, token } };
}

function send(notify: Notify) {
  const { signed, sent, mode } = notify;
  const signature =
    sent.signature ??
    (mode === 'asymmetric'
      ? providerSigner.asymmetric(signed.path, signed.body, signed.timestamp)
      : providerSigner.symmetric(signed.path, signed.token, signed.body, signed.timestamp));
  const req = request(apps[mode].publicApp)
    .post(sent.path)
    .set('Content-Type', 'application/json')
    .set('X-TIMESTAMP', sent.timestamp)
    .set('X-SIGNATURE', signature)
    .set('X-PARTNER-ID', PARTNER_ID)
    .set('X-EXTERNAL-ID', `PROP-${sequence}`)
    .set('CHANNEL-ID', '95221');
  if (mode === 'symmetric') req.set('Authorization', `Bearer ${sent.token}`);
  // The bytes as they are: superagent would serialise a Buffer as JSON for a JSON content type.
  return req.serialize((bytes: Buffer) => bytes as unknown as string).send(notify.body);
}

/** The stored event of the notify's reference, if any. */
async function storedDetails(notify: Notify): Promise<Record<string, unknown> | undefined> {
  const reference = (JSON.parse(notify.body.toString('utf8')) as { originalPartnerReferenceNo: string }).originalPartnerReferenceNo;
  const row = await database.handle.db.selectFrom('events').select('details').where('reference', '=', reference).executeTakeFirst();
  return row && (JSON.parse(row.details) as Record<string, unknown>);
}

const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' });
const style = fc.constantFrom(...JSON_STYLES);
const mode = fc.constantFrom<Mode>('symmetric', 'asymmetric');

/** `text` with the byte at `index` (modulo its length) replaced by another one from `alphabet`. */
function changeOneByte(text: Buffer, index: number, pick: number, alphabet: readonly number[]): Buffer {
  const at = index % text.length;
  const others = alphabet.filter((b) => b !== text[at]);
  const changed = Buffer.from(text);
  changed[at] = others[pick % others.length] as number;
  return changed;
}

const VISIBLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => 0x21 + i);
const ANY_BYTE = Array.from({ length: 256 }, (_, i) => i);

/** Same JSON value: a change a provider's signature over the value (not the bytes) could not see. */
function sameJson(a: Buffer, b: Buffer): boolean {
  try {
    return JSON.stringify(JSON.parse(a.toString('utf8'))) === JSON.stringify(JSON.parse(b.toString('utf8')));
  } catch {
    return false;
  }
}

describe('POST /v1.0/qr/qr-cpm-notify signatures (property-based)', () => {
  it('accepts any JSON body in any SDK style signed over its own bytes, and stores its value exactly', async () => {
    await fc.assert(
      fc.asyncProperty(mode, style, json, async (m, s, extra) => {
        const notify = buildNotify(m, s, extra);

        const res = await send(notify);

        expect(res.body).toEqual({ responseCode: '2007900', responseMessage: 'Successful' });
        expect((await storedDetails(notify))?.additionalInfo).toEqual({ extra: JSON.parse(JSON.stringify(extra)) });
      }),
      { numRuns: 60 },
    );
  });

  const tampering = fc.oneof(
    fc.record({ part: fc.constant('body' as const), index: fc.nat(), pick: fc.nat() }),
    fc.record({ part: fc.constantFrom('path' as const, 'timestamp' as const, 'signature' as const), index: fc.nat(), pick: fc.nat() }),
    fc.record({ part: fc.constantFrom('signed token' as const, 'sent token' as const), index: fc.nat(), pick: fc.nat() }),
  );

  it('refuses any single-byte change to body, path, timestamp, token or signature, and stores no event', async () => {
    await fc.assert(
      fc.asyncProperty(mode, style, json, tampering, async (m, s, extra, change) => {
        const notify = buildNotify(m, s, extra);
        const { signed, sent } = notify;
        const signature =
          m === 'asymmetric' ? providerSigner.asymmetric(signed.path, signed.body, signed.timestamp) : providerSigner.symmetric(signed.path, signed.token, signed.body, signed.timestamp);
        const one = (text: string, alphabet = VISIBLE) => changeOneByte(Buffer.from(text, 'latin1'), change.index, change.pick, alphabet).toString('latin1');
        let tampered: Notify;
        switch (change.part) {
          case 'body': {
            const body = changeOneByte(notify.body, change.index, change.pick, ANY_BYTE);
            // A change that leaves the JSON value as it was is no forgery (whitespace for whitespace).
            fc.pre(!sameJson(body, notify.body));
            tampered = { ...notify, body, sent: { ...sent, signature } };
            break;
          }
          case 'path':
            tampered = { ...notify, signed: { ...signed, path: one(signed.path) } };
            break;
          case 'timestamp':
            tampered = { ...notify, sent: { ...sent, timestamp: one(sent.timestamp), signature } };
            break;
          case 'signature':
            tampered = { ...notify, sent: { ...sent, signature: one(signature) } };
            break;
          case 'signed token':
            fc.pre(m === 'symmetric');
            tampered = { ...notify, signed: { ...signed, token: one(signed.token) } };
            break;
          case 'sent token':
            fc.pre(m === 'symmetric');
            tampered = { ...notify, sent: { ...sent, token: one(sent.token), signature } };
            break;
        }
        const before = await countEvents(database);

        const res = await send(tampered);

        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(await countEvents(database)).toBe(before);
      }),
      { numRuns: 150 },
    );
  });
});
