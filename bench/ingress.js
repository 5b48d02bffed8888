// Throughput and latency of the public routes against a bare express handler, in one run on
// this machine, so the numbers compare as ratios. Traffic goes to 127.0.0.1 only; every loop
// is bounded. Run with `npm run bench`.
const { createHash, createPrivateKey, sign } = require('node:crypto');
const { mkdtempSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const express = require('express');
const pino = require('pino');

const dist = join(__dirname, '..', 'dist', 'src');
const { createPublicApp } = require(join(dist, 'app.js'));
const { openDatabase } = require(join(dist, 'db', 'connect.js'));
const { migrateToLatest } = require(join(dist, 'db', 'migrator.js'));
const { deepFreeze } = require(join(dist, 'config', 'config.js'));
const { Metrics } = require(join(dist, 'admin', 'metrics.js'));

const REQUESTS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = 16;
const PARTNER = 'BENCH-PARTNER';
const privateKey = createPrivateKey(readFileSync(join(__dirname, '..', 'test', 'fixtures', 'keys', 'test-only-provider.private.pem')));
const publicKey = readFileSync(join(__dirname, '..', 'test', 'fixtures', 'keys', 'test-only-provider.public.pem'), 'utf8');
const qrBody = readFileSync(join(__dirname, '..', 'fixtures', 'snap', 'qr-cpm-notify.json'), 'utf8');

function listen(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function run(name, port, makeRequest) {
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  async function worker() {
    while (next < REQUESTS) {
      const i = next++;
      const { path, init } = makeRequest(i);
      const t0 = process.hrtime.bigint();
      const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${name}: request ${i} answered ${res.status}`);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { name, rps: REQUESTS / seconds, p50: at(0.5), p99: at(0.99) };
}

async function main() {
  const bare = express();
  bare.get('/ok', (_req, res) => res.type('text/plain').send('OK'));
  const bareServer = await listen(bare);

  const database = openDatabase(`sqlite:${join(mkdtempSync(join(tmpdir(), 'receiver-bench-')), 'bench.db')}`);
  await migrateToLatest(database.db);
  const config = deepFreeze({
    configFile: 'bench', databaseUrl: 'bench', host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0,
    adminToken: null, trustProxy: 0, logLevel: 'silent', deliveryWorkers: 0, rateLimitPerIpPerMinute: 10_000_000, retentionDays: 0,
    sources: [
      { id: 'biller-bench', type: 'biller', allowedIps: ['127.0.0.1'], token: 'bench-token', rateLimitPerMinute: 1_000_000 },
      {
        id: 'snap-bench', type: 'snap', partnerId: PARTNER, allowedIps: ['127.0.0.1'], signature: 'asymmetric', publicKey,
        clientSecret: null, timestampToleranceSeconds: 300, accessTokenTtlSeconds: 900, rateLimitPerMinute: 1_000_000, maxBulkItems: 100,
      },
    ],
    subscribers: [],
  });
  const clock = { now: () => new Date() };
  const receiver = await listen(createPublicApp({ config, db: database.db, clock, logger: pino({ level: 'silent' }), outbox: { wake: () => undefined }, metrics: new Metrics(database.db, clock) }));

  const results = [];
  results.push(await run('bare express GET', bareServer.address().port, () => ({ path: '/ok' })));
  results.push(
    await run('biller reversal (stored, FULL sync)', receiver.address().port, (i) => ({
      path: `/callbacks/biller/biller-bench/bench-token?status=0&refid=B${i}&message=SUKSES,+SN:+${i},+Harga:+10,000`,
    })),
  );
  results.push(
    await run('qr-cpm-notify (RSA verify + stored)', receiver.address().port, (i) => {
      const body = JSON.stringify({ ...JSON.parse(qrBody), originalPartnerReferenceNo: `Q${i}` });
      const timestamp = `${new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 19)}+07:00`;
      const hash = createHash('sha256').update(body).digest('hex');
      const signature = sign('sha256', Buffer.from(`POST:/v1.0/qr/qr-cpm-notify:${hash}:${timestamp}`), privateKey).toString('base64');
      return {
        path: '/v1.0/qr/qr-cpm-notify',
        init: {
          method: 'POST', body,
          headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': signature, 'x-partner-id': PARTNER, 'x-external-id': `E${i}`, 'channel-id': '95221' },
        },
      };
    }),
  );

  const base = results[0].rps;
  console.log(`${REQUESTS} requests per scenario, ${CONCURRENCY} concurrent, node ${process.version}\n`);
  console.log('scenario                               req/s   vs bare   p50 ms   p99 ms');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(37)} ${r.rps.toFixed(0).padStart(7)}   ${(r.rps / base).toFixed(2).padStart(7)}   ${r.p50.toFixed(2).padStart(6)}   ${r.p99.toFixed(2).padStart(6)}`,
    );
  }
  bareServer.close();
  receiver.close();
  await database.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
