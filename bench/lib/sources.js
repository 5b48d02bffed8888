// The providers the bench plays and the config file the receiver gets for them. The test-only key
// pair (test/fixtures/keys) signs access-token requests and asymmetric notifies.
const { randomBytes } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const KEYS = join(__dirname, '..', '..', 'test', 'fixtures', 'keys');
const PUBLIC_KEY = readFileSync(join(KEYS, 'test-only-provider.public.pem'), 'utf8');
const PRIVATE_KEY = readFileSync(join(KEYS, 'test-only-provider.private.pem'), 'utf8');

const BILLER = { id: 'biller-bench', type: 'biller', token: 'bench-biller-path-token' };
const SYMMETRIC = {
  id: 'snap-sym',
  type: 'snap',
  partnerId: '82150823919040624621823174737537',
  signature: 'symmetric',
  clientSecret: 'bench-client-secret-for-hmac',
};
const ASYMMETRIC = { id: 'snap-asym', type: 'snap', partnerId: '99150823919040624621823174737599', signature: 'asymmetric' };

// Limits far above anything the bench sends, so no row measures the rate limiter's refusals.
const UNLIMITED = { allowedIps: ['127.0.0.1'], rateLimitPerMinute: 1_000_000 };
const SNAP_SETTINGS = { publicKey: PUBLIC_KEY, timestampToleranceSeconds: 300, accessTokenTtlSeconds: 3600, maxBulkItems: 100 };

function sourcesConfig() {
  return [
    { ...UNLIMITED, id: BILLER.id, type: 'biller', token: BILLER.token },
    { ...UNLIMITED, ...SNAP_SETTINGS, ...SYMMETRIC },
    { ...UNLIMITED, ...SNAP_SETTINGS, ...ASYMMETRIC },
  ];
}

/** One subscriber taking every event, allowed `concurrency` attempts in flight. */
function subscriberConfig(url, concurrency) {
  return { id: 'bench-subscriber', url, secret: `whsec_${randomBytes(24).toString('base64')}`, concurrency, timeoutSeconds: 10 };
}

/** Writes the receiver's config file (CONTRACT 2) and answers its path. */
function writeConfigFile(path, subscriberUrl, concurrency) {
  const config = { sources: sourcesConfig(), subscribers: [subscriberConfig(subscriberUrl, concurrency)] };
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

module.exports = { BILLER, SYMMETRIC, ASYMMETRIC, PRIVATE_KEY, writeConfigFile };
