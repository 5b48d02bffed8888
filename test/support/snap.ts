import { createHash, createHmac, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SnapSource } from '../../src/config/config';

// RSA 2048 key pair generated once for tests only (test/fixtures/keys); never used anywhere real.
export const TEST_PUBLIC_KEY = readFileSync(join(__dirname, '../fixtures/keys/test-only-provider.public.pem'), 'utf8');
export const TEST_PRIVATE_KEY = readFileSync(join(__dirname, '../fixtures/keys/test-only-provider.private.pem'), 'utf8');
export const OTHER_PRIVATE_KEY = readFileSync(join(__dirname, '../fixtures/keys/test-only-other.private.pem'), 'utf8');

export const PARTNER_ID = '82150823919040624621823174737537';
export const CLIENT_SECRET = 'test-client-secret-for-hmac';

export function snapSource(overrides: Partial<SnapSource> = {}): SnapSource {
  return {
    id: 'bank-x',
    type: 'snap',
    partnerId: PARTNER_ID,
    allowedIps: ['127.0.0.1', '::1'],
    signature: 'symmetric',
    publicKey: TEST_PUBLIC_KEY,
    clientSecret: CLIENT_SECRET,
    timestampToleranceSeconds: 300,
    accessTokenTtlSeconds: 900,
    rateLimitPerMinute: 6000,
    maxBulkItems: 100,
    signaturePathPrefix: null,
    ...overrides,
  };
}

/**
 * The provider's side of SNAP, written from CONTRACT 3.2 with node's crypto directly, so the
 * tests do not lean on the code they test.
 */
export const providerSigner = {
  accessToken(clientId: string, timestamp: string, privateKey = TEST_PRIVATE_KEY): string {
    return sign('sha256', Buffer.from(`${clientId}|${timestamp}`), createPrivateKey(privateKey)).toString('base64');
  },
  symmetric(path: string, accessToken: string, body: string | Buffer, timestamp: string, secret = CLIENT_SECRET): string {
    const stringToSign = `POST:${path}:${accessToken}:${bodyHash(body)}:${timestamp}`;
    return createHmac('sha512', secret).update(stringToSign).digest('base64');
  },
  asymmetric(path: string, body: string | Buffer, timestamp: string, privateKey = TEST_PRIVATE_KEY): string {
    const stringToSign = `POST:${path}:${bodyHash(body)}:${timestamp}`;
    return sign('sha256', Buffer.from(stringToSign), createPrivateKey(privateKey)).toString('base64');
  },
};

/** Providers sign the bytes they send; a test that wants another form passes that form here. */
function bodyHash(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** `2026-11-22T10:00:00+07:00` for an instant. */
export function snapTimestamp(at: Date): string {
  return `${new Date(at.getTime() + 7 * 3600_000).toISOString().slice(0, 19)}+07:00`;
}

type Json = Record<string, unknown>;

const fixture = (name: string): Json => JSON.parse(readFileSync(join(__dirname, '../../fixtures/snap', name), 'utf8')) as Json;

/** The seed document's bulk-cashin-notify example (fixtures/snap), with overrides. */
export function buildBulkCashinNotify(overrides: Json = {}, items?: Json[]): Json {
  const example = fixture('bulk-cashin-notify.json');
  return { ...example, bulkObject: items ?? example.bulkObject, ...overrides };
}

export function buildBulkItem(overrides: Json = {}): Json {
  const [item] = fixture('bulk-cashin-notify.json').bulkObject as Json[];
  return { ...item, ...overrides };
}

/** The seed document's qr-cpm-notify example (fixtures/snap), with overrides. */
export function buildQrCpmNotify(overrides: Json = {}): Json {
  return { ...fixture('qr-cpm-notify.json'), ...overrides };
}
