import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { minifiedBody, symmetricStringToSign, verifyHmacSha512 } from '../../../src/ingress/snap/snap-crypto';
import { parseXTimestamp } from '../../../src/ingress/snap/snap-time';

const PATH = '/v1.0/qr/qr-cpm-notify';
const TOKEN = 'gp9HjjEj813Y9JGoqwOeOPWbnt4CUpvIJbU1mMU4a11MNDZ7Sg5u9a';
const TIMESTAMP = '2020-12-23T08:46:11+07:00';
const SECRET = 'example-client-secret';
const PRETTY_BODY = `{
  "originalPartnerReferenceNo": "2020102900000000000001",
  "latestTransactionStatus": "00"
}`;
// sha256 of the minified body and the HMAC below were computed with the openssl command line.
const BODY_SHA256 = 'e72a158e69174de310d782379691abcf03d03876464fd77dc10048a79802fed2';
const KNOWN_SIGNATURE = 'DkWiuFrs1Wthv4BabXw++rwKmUYCG2iK0MLtYlw3EcPG1QjT+LoHlwUlLYLj3DqVHxqZRePTPB1hEMT+lUjapQ==';

describe('symmetric SNAP signature (HMAC-SHA512)', () => {
  it('builds the string to sign from the minified body', () => {
    expect(symmetricStringToSign(PATH, TOKEN, PRETTY_BODY, TIMESTAMP)).toBe(`POST:${PATH}:${TOKEN}:${BODY_SHA256}:${TIMESTAMP}`);
  });

  it('accepts the known answer, which node crypto computes the same way independently', () => {
    const stringToSign = `POST:${PATH}:${TOKEN}:${BODY_SHA256}:${TIMESTAMP}`;
    const independent = createHmac('sha512', SECRET).update(stringToSign).digest('base64');

    expect(independent).toBe(KNOWN_SIGNATURE);
    expect(verifyHmacSha512(SECRET, symmetricStringToSign(PATH, TOKEN, PRETTY_BODY, TIMESTAMP), KNOWN_SIGNATURE)).toBe(true);
  });

  it('refuses the known answer for another secret, token, timestamp or body', () => {
    const verify = (secret: string, token: string, body: string, timestamp: string) =>
      verifyHmacSha512(secret, symmetricStringToSign(PATH, token, body, timestamp), KNOWN_SIGNATURE);

    expect(verify('other', TOKEN, PRETTY_BODY, TIMESTAMP)).toBe(false);
    expect(verify(SECRET, `${TOKEN}x`, PRETTY_BODY, TIMESTAMP)).toBe(false);
    expect(verify(SECRET, TOKEN, PRETTY_BODY, '2020-12-23T08:46:12+07:00')).toBe(false);
    expect(verify(SECRET, TOKEN, PRETTY_BODY.replace('00"', '06"'), TIMESTAMP)).toBe(false);
  });

  it('refuses a signature of the wrong length without throwing', () => {
    expect(verifyHmacSha512(SECRET, 'x', 'c2hvcnQ=')).toBe(false);
    expect(verifyHmacSha512(SECRET, 'x', '')).toBe(false);
  });

  it('hashes a body that is not JSON as it came', () => {
    expect(minifiedBody('a = 1 ')).toBe('a = 1 ');
  });
});

describe('parseXTimestamp', () => {
  it.each([
    ['2020-12-23T08:46:11+07:00', '2020-12-23T01:46:11.000Z'],
    ['2020-12-23T01:46:11Z', '2020-12-23T01:46:11.000Z'],
    ['2020-12-23T08:46:11.123456+07:00', '2020-12-23T01:46:11.123Z'],
    ['2020-12-22T20:46:11-05:00', '2020-12-23T01:46:11.000Z'],
  ])('reads %s', (text, iso) => {
    expect(new Date(parseXTimestamp(text) ?? NaN).toISOString()).toBe(iso);
  });

  it.each(['2020-12-23T08:46:11', '2020-12-23 08:46:11+07:00', '2020-02-30T08:46:11+07:00', '2020-12-23T24:00:00Z', '1608687971', ''])(
    'refuses %j',
    (text) => {
      expect(parseXTimestamp(text)).toBeNull();
    },
  );
});
