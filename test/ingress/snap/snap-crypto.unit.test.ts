import { createHmac, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { signWebhook } from '../../../src/delivery/webhook-signer';
import { scanJson } from '../../../src/ingress/snap/body-forms';
import { checkTimestamp } from '../../../src/ingress/snap/snap-checks';
import {
  type NotifyKey,
  accessTokenStringToSign,
  candidatePaths,
  decodeCanonicalBase64,
  verifyNotifySignature,
  verifyRsaSha256,
} from '../../../src/ingress/snap/snap-crypto';
import { parseXTimestamp } from '../../../src/ingress/snap/snap-time';
import { testClock } from '../../support/clock';

// Published vectors (test/fixtures/vectors/README.md says where each comes from).
const vectors = (name: string) => JSON.parse(readFileSync(join(__dirname, '../../fixtures/vectors', name), 'utf8'));
const midtrans = vectors('snap-midtrans.json');
const standardWebhooks = vectors('standard-webhooks.json');

/** What checkTimestamp reads from a request. */
const withTimestamp = (timestamp: string) => ({ get: (name: string) => (name === 'X-TIMESTAMP' ? timestamp : undefined) }) as never;

describe('Midtrans SNAP-BI signature demo vectors', () => {
  it('verifies the symmetric notify: a pretty body signed in its minified form, at its own time', () => {
    const v = midtrans.symmetric;
    const clock = testClock(new Date(Date.parse(v.timestamp) + 1000).toISOString());
    const key: NotifyKey = { mode: 'symmetric', clientSecret: v.clientSecret };

    const timestamp = checkTimestamp(withTimestamp(v.timestamp), clock, 300);
    const match = verifyNotifySignature(
      key,
      { target: v.path, rawBody: Buffer.from(v.body), timestamp, signature: v.signature, accessToken: v.accessToken },
      null,
    );

    expect(match).toEqual({ form: 'minified', path: v.path });
  });

  it('refuses the symmetric vector with another secret, token or timestamp', () => {
    const v = midtrans.symmetric;
    const notify = { target: v.path, rawBody: Buffer.from(v.body), timestamp: v.timestamp, signature: v.signature, accessToken: v.accessToken };

    expect(verifyNotifySignature({ mode: 'symmetric', clientSecret: `${v.clientSecret}x` }, notify, null)).toBeNull();
    expect(verifyNotifySignature({ mode: 'symmetric', clientSecret: v.clientSecret }, { ...notify, accessToken: 'other' }, null)).toBeNull();
    expect(
      verifyNotifySignature({ mode: 'symmetric', clientSecret: v.clientSecret }, { ...notify, timestamp: '2024-03-05T10:37:17.196Z' }, null),
    ).toBeNull();
  });

  it('verifies the asymmetric notify over its raw body with the published public key', () => {
    const v = midtrans.asymmetricNotify;
    const key: NotifyKey = { mode: 'asymmetric', publicKey: createPublicKey(v.publicKeyPem) };
    const clock = testClock(new Date(Date.parse(v.timestamp)).toISOString());

    const timestamp = checkTimestamp(withTimestamp(v.timestamp), clock, 300);
    const match = verifyNotifySignature(key, { target: v.path, rawBody: Buffer.from(v.body), timestamp, signature: v.signature, accessToken: '' }, null);

    expect(match).toEqual({ form: 'raw', path: v.path });
  });

  it('refuses the asymmetric vector outside its time window', () => {
    const v = midtrans.asymmetricNotify;
    const clock = testClock(new Date(Date.parse(v.timestamp) + 301_000).toISOString());

    expect(() => checkTimestamp(withTimestamp(v.timestamp), clock, 300)).toThrow('Timestamp out of range');
  });

  it('verifies the access-token request over clientId|X-TIMESTAMP', () => {
    const v = midtrans.accessToken;
    const publicKey = createPublicKey(v.privateKeyPem);

    expect(accessTokenStringToSign(v.clientId, v.timestamp)).toBe(v.stringToSign);
    expect(verifyRsaSha256(publicKey, v.stringToSign, v.signature)).toBe(true);
    expect(verifyRsaSha256(publicKey, accessTokenStringToSign(`${v.clientId}x`, v.timestamp), v.signature)).toBe(false);
  });
});

describe('Standard Webhooks vector', () => {
  it('signs the svix test suite example exactly', () => {
    const v = standardWebhooks;

    expect(signWebhook([v.secret], v.id, Number(v.timestamp), v.payload)).toBe(v.signature);
  });
});

describe('X-SIGNATURE spelling', () => {
  const canonical = createHmac('sha512', 'k').update('x').digest('base64');
  // A 64-byte HMAC ends in one character carrying 2 data bits and 4 pad bits that must be zero.
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const lastData = ALPHABET.indexOf(canonical.at(-3) ?? '');
  const withPadBits = `${canonical.slice(0, -3)}${ALPHABET[lastData | 1]}==`;

  it('accepts standard base64 with padding', () => {
    expect(decodeCanonicalBase64(canonical)).toEqual(createHmac('sha512', 'k').update('x').digest());
  });

  it.each([
    ['missing padding', canonical.replace(/=+$/, '')],
    ['trailing junk', `${canonical}AA`],
    ['a trailing newline', `${canonical}\n`],
    ['URL-safe letters', canonical.replace(/\+/g, '-').replace(/\//g, '_')],
    ['inner whitespace', `${canonical.slice(0, 8)} ${canonical.slice(8)}`],
    ['non-zero pad bits', withPadBits],
    ['nothing', ''],
  ])('refuses %s', (_name, text) => {
    // Each of these decodes (leniently) to bytes; the canonical check must still refuse it.
    expect(text).not.toBe(canonical);
    expect(decodeCanonicalBase64(text)).toBeNull();
  });
});

describe('candidatePaths', () => {
  it('tries the path as received, then without its query, then behind the prefix', () => {
    expect(candidatePaths('/v1.0/qr/qr-cpm-notify?x=%2F1', '/receiver')).toEqual([
      '/v1.0/qr/qr-cpm-notify?x=%2F1',
      '/v1.0/qr/qr-cpm-notify',
      '/receiver/v1.0/qr/qr-cpm-notify?x=%2F1',
      '/receiver/v1.0/qr/qr-cpm-notify',
    ]);
  });

  it('keeps an undecoded path as it was sent', () => {
    expect(candidatePaths('/v1.0/qr/qr%2Dcpm-notify', null)).toEqual(['/v1.0/qr/qr%2Dcpm-notify']);
  });

  it('signs an absolute-form target as its path and query', () => {
    expect(candidatePaths('http://receiver.example:8080/v1.0/qr/qr-cpm-notify?a=1', null)).toEqual([
      '/v1.0/qr/qr-cpm-notify?a=1',
      '/v1.0/qr/qr-cpm-notify',
    ]);
  });
});

describe('scanJson (lexical minify)', () => {
  const minify = (text: string) => scanJson(Buffer.from(text)).minified.toString();

  it('drops whitespace outside strings only, keeping escapes, numbers and key order', () => {
    expect(minify('{ "b" : "x y\\" z" ,\n\t"a" : [ 1.0 , 1E5 ] , "c":"https:\\/\\/x \\u00e9" }')).toBe(
      '{"b":"x y\\" z","a":[1.0,1E5],"c":"https:\\/\\/x \\u00e9"}',
    );
  });

  it('leaves a string ending in an escaped backslash closed', () => {
    expect(minify('{ "a" : "\\\\" , "b" : 1 }')).toBe('{"a":"\\\\","b":1}');
  });

  it('measures nesting outside strings', () => {
    expect(scanJson(Buffer.from('{"a":[{"b":"[[[["}]}')).depth).toBe(3);
    expect(scanJson(Buffer.from('[]')).depth).toBe(1);
    expect(scanJson(Buffer.from('"x"')).depth).toBe(0);
  });
});

describe('parseXTimestamp', () => {
  it.each([
    ['2020-12-23T08:46:11+07:00', '2020-12-23T01:46:11.000Z'],
    ['2020-12-23T01:46:11Z', '2020-12-23T01:46:11.000Z'],
    ['2020-12-23T08:46:11.123456+07:00', '2020-12-23T01:46:11.123Z'],
    ['2020-12-22T20:46:11-05:00', '2020-12-23T01:46:11.000Z'],
    ['2020-12-23T15:46:11+14:00', '2020-12-23T01:46:11.000Z'],
    ['2020-12-23T02:16:11+00:30', '2020-12-23T01:46:11.000Z'],
  ])('reads %s', (text, iso) => {
    expect(new Date(parseXTimestamp(text) ?? NaN).toISOString()).toBe(iso);
  });

  it.each([
    '2020-12-23T08:46:11',
    '2020-12-23 08:46:11+07:00',
    '2020-02-30T08:46:11+07:00',
    '2020-12-23T24:00:00Z',
    '2020-12-23T08:46:11+07:60',
    '2020-12-23T08:46:11+99:00',
    '2020-12-23T08:46:11+15:00',
    '2020-12-23T08:46:11+0700',
    '1608687971',
    '',
  ])('refuses %j', (text) => {
    expect(parseXTimestamp(text)).toBeNull();
  });
});
