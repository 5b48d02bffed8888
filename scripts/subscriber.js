#!/usr/bin/env node
// A local subscriber for trying the receiver out: listens on 127.0.0.1, checks each delivery's
// Standard Webhooks signature (CONTRACT 5) with the secret config/example.json gives the
// `ledger` subscriber, prints what arrived, and answers 204 (401 when the signature is wrong).
//
//   node scripts/subscriber.js                       # port 9000, the example secret
//   node scripts/subscriber.js --port 9001 --secret whsec_…
const { createHmac, timingSafeEqual } = require('node:crypto');
const { createServer } = require('node:http');

const EXAMPLE_SECRET = 'whsec_ZXhhbXBsZS1zdWJzY3JpYmVyLWtleS1jaGFuZ2UtbWU=';
const TOLERANCE_SECONDS = 300;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

const port = Number(option('port', '9000'));
const key = Buffer.from(option('secret', EXAMPLE_SECRET).replace(/^whsec_/, ''), 'base64');

/** True when one of the `v1,<base64>` signatures is HMAC-SHA256(key, id.timestamp.body) and the time is near. */
function verified(headers, body) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value = ''] = entry.split(',');
    const given = Buffer.from(value, 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (!verified(req.headers, body)) {
      console.log(`refused ${req.headers['webhook-id'] ?? '(no webhook-id)'}: signature does not verify`);
      res.writeHead(401).end();
      return;
    }
    const event = JSON.parse(body);
    const { source, reference, status, amount } = event.data ?? {};
    console.log(
      `verified ${event.type} ${event.id}: ${source} ${reference} ${status}${amount ? ` ${amount.value} ${amount.currency}` : ''}`,
    );
    res.writeHead(204).end();
  });
}).listen(port, '127.0.0.1', () => console.log(`subscriber listening on http://127.0.0.1:${port}/hooks`));
