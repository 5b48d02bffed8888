#!/usr/bin/env node
// Prints a ready-to-run curl command for a SNAP request to a local receiver, signed the way
// CONTRACT 3.2 says, with the example keys and secrets of config/example.json.
//
//   node scripts/snap-curl.js token
//   node scripts/snap-curl.js qr-cpm --token <accessToken>
//   node scripts/snap-curl.js bulk-cashin --token <accessToken>
//   node scripts/snap-curl.js qr-cpm --asymmetric
//
// Options: --partner-id ID, --secret S, --key private.pem, --body file.json, --external-id X,
// --url http://127.0.0.1:8080
const { createHash, createHmac, createPrivateKey, randomInt, sign } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const SYMMETRIC_PARTNER = '82150823919040624621823174737537';
const ASYMMETRIC_PARTNER = '99150823919040624621823174737599';
const EXAMPLE_SECRET = 'example-client-secret-change-me';
// The example public key in config/keys pairs with this test-only private key.
const EXAMPLE_KEY = join(__dirname, '..', 'test', 'fixtures', 'keys', 'test-only-provider.private.pem');

const FIXTURES = join(__dirname, '..', 'fixtures', 'snap');
const ROUTES = {
  'qr-cpm': { path: '/v1.0/qr/qr-cpm-notify', fixture: 'qr-cpm-notify.json' },
  'bulk-cashin': { path: '/v1.0/emoney/bulk-cashin-notify', fixture: 'bulk-cashin-notify.json' },
};

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const options = {};
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i].replace(/^--/, '');
    if (name === 'asymmetric') options.asymmetric = true;
    else options[name] = rest[++i];
  }
  return { command, options };
}

function jakartaNow() {
  return `${new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 19)}+07:00`;
}

function quote(text) {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function curl(url, headers, body) {
  const lines = [`curl -sS -i -X POST ${quote(url)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`  -H ${quote(`${name}: ${value}`)}`);
  lines.push(`  --data-raw ${quote(body)}`);
  return lines.join(' \\\n');
}

function main() {
  const { command, options } = parseArgs(process.argv.slice(2));
  const base = options.url ?? 'http://127.0.0.1:8080';
  const privateKey = createPrivateKey(readFileSync(options.key ?? EXAMPLE_KEY, 'utf8'));
  const timestamp = jakartaNow();

  if (command === 'token') {
    const clientId = options['partner-id'] ?? SYMMETRIC_PARTNER;
    const signature = sign('sha256', Buffer.from(`${clientId}|${timestamp}`), privateKey).toString('base64');
    const headers = { 'Content-Type': 'application/json', 'X-CLIENT-KEY': clientId, 'X-TIMESTAMP': timestamp, 'X-SIGNATURE': signature };
    console.log(curl(`${base}/v1.0/access-token/b2b`, headers, '{"grantType":"client_credentials"}'));
    return;
  }

  const spec = ROUTES[command];
  if (!spec) {
    console.error('usage: node scripts/snap-curl.js token | qr-cpm | bulk-cashin [--token T] [--asymmetric] [options]');
    process.exit(2);
  }
  const body = JSON.stringify(JSON.parse(readFileSync(options.body ?? join(FIXTURES, spec.fixture), 'utf8')));
  const bodyHash = createHash('sha256').update(JSON.stringify(JSON.parse(body))).digest('hex');
  const headers = { 'Content-Type': 'application/json', 'X-TIMESTAMP': timestamp };
  let signature;
  if (options.asymmetric) {
    headers['X-PARTNER-ID'] = options['partner-id'] ?? ASYMMETRIC_PARTNER;
    signature = sign('sha256', Buffer.from(`POST:${spec.path}:${bodyHash}:${timestamp}`), privateKey).toString('base64');
  } else {
    if (!options.token) {
      console.error('a symmetric notify needs --token <accessToken> (get one with: node scripts/snap-curl.js token)');
      process.exit(2);
    }
    headers.Authorization = `Bearer ${options.token}`;
    headers['X-PARTNER-ID'] = options['partner-id'] ?? SYMMETRIC_PARTNER;
    const stringToSign = `POST:${spec.path}:${options.token}:${bodyHash}:${timestamp}`;
    signature = createHmac('sha512', options.secret ?? EXAMPLE_SECRET).update(stringToSign).digest('base64');
  }
  headers['X-SIGNATURE'] = signature;
  headers['X-EXTERNAL-ID'] = options['external-id'] ?? String(randomInt(1e9, 1e10));
  headers['CHANNEL-ID'] = '95221';
  console.log(curl(`${base}${spec.path}`, headers, body));
}

main();
