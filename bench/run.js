// npm run bench: throughput and latency of the receiver's production build (dist/src/server.js),
// next to ceilings measured in the same run on the same machine (a bare express server, a bare
// SQLite insert loop), so the figures compare as ratios. Everything it starts is a child process
// on 127.0.0.1; this process only generates load (autocannon) and reads the results.
//
//   npm run build && node bench/run.js
//
// Environment: BENCH_DURATION seconds a row (default 8), BENCH_CONNECTIONS (32), BENCH_BACKLOG
// deliveries queued at once for the forwarding row (20000), BENCH_ADMIN_ROWS events for the
// second admin-list measurement (the first is at 10^4; default 10^6, 3·10^5 on PostgreSQL),
// BENCH_DATABASE_URL (postgres://…: the receiver runs on PostgreSQL, in schemas of its own that
// are dropped at the end; the bare SQLite ceiling is measured all the same), BENCH_ONLY (a
// comma-separated subset of ingest, forward, admin, to look at one part; the ceilings always run).
// Prints a table and writes bench/results/latest.json (latest-postgres.json on PostgreSQL).
const os = require('node:os');
const { mkdtempSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
const { setTimeout: sleep } = require('node:timers/promises');
const { createDatabase, dropDatabases } = require('./lib/database');
const { drive } = require('./lib/load');
const { pace } = require('./lib/paced');
const { ask, forkScript, killAll, nextMessage, rssMiB, stop } = require('./lib/processes');
const { migrate, startReceiver, ADMIN_TOKEN } = require('./lib/receiver');
const { printReport, writeResults } = require('./lib/report');
const { landmarks, seed } = require('./lib/seed');
const { ASYMMETRIC, SYMMETRIC } = require('./lib/sources');
const { percentile } = require('./lib/stats');
const traffic = require('./lib/traffic');

const CHILD = join(__dirname, 'child');
const SQLITE_LOOP_SECONDS = 3;
const LATENCY_RATE = 100;
const LATENCY_SECONDS = 4;
// Attempts in flight: throughput grows with them while the subscriber keeps up (see the README).
const FORWARD_WORKERS = 64;
const ADMIN_REQUESTS = 50;
const ADMIN_SECONDS = 3;
const FIRST_ADMIN_ROWS = 10_000;

function settings() {
  const postgresUrl = process.env.BENCH_DATABASE_URL || null;
  return {
    runId: traffic.RUN_ID,
    dir: mkdtempSync(join(os.tmpdir(), 'receiver-bench-')),
    databases: [],
    postgresUrl,
    engine: postgresUrl ? 'postgres' : 'sqlite',
    seconds: positiveInteger('BENCH_DURATION', 8),
    connections: positiveInteger('BENCH_CONNECTIONS', 32),
    backlog: positiveInteger('BENCH_BACKLOG', 20_000),
    // PostgreSQL takes about twice as long to seed 10^6 as SQLite does: that would not fit in 3 minutes.
    adminRows: positiveInteger('BENCH_ADMIN_ROWS', postgresUrl ? 300_000 : 1_000_000),
    only: new Set((process.env.BENCH_ONLY || 'ingest,forward,admin').split(',')),
  };
}

function positiveInteger(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`${name} must be a positive integer`);
  return Number(value);
}

/** One line of the table; ratios are the row's rate over a ceiling, `rowsPerRequest` events a request. */
function row(name, result, { unit = 'req/s', rss = null, bare = null, sqlite = null, rowsPerRequest = 1, note = null } = {}) {
  const stored = result.rate * rowsPerRequest;
  return {
    name,
    unit,
    rate: result.rate,
    p50: result.p50 ?? null,
    p99: result.p99 ?? null,
    vsBare: bare ? result.rate / bare : null,
    vsSqlite1: sqlite ? stored / sqlite.single : null,
    vsSqlite32: sqlite ? stored / sqlite.grouped : null,
    rssMiB: rss,
    clientCpu: result.clientCpu ?? null,
    errors: result.errors ?? 0,
    statusCodes: result.statusCodes ?? null,
    failures: result.failures ?? [],
    note,
  };
}

// --- ceilings -------------------------------------------------------------------------------

async function measureCeilings(work, rows) {
  const bare = forkScript(join(CHILD, 'bare-express.js'));
  const url = `http://127.0.0.1:${(await nextMessage(bare, 'listening')).port}`;
  const body = traffic.exampleQrCpmBody();
  const get = await drive(url, () => ({ method: 'GET', path: '/ok' }), fullLoad(work));
  rows.push(row('bare express GET /ok', get, { rss: rssMiB(bare.pid) }));
  const post = await drive(url, () => ({ method: 'POST', path: '/ok', headers: { 'Content-Type': 'application/json' }, body }), fullLoad(work));
  rows.push(row('bare express POST /ok (json echo)', post, { rss: rssMiB(bare.pid) }));
  await stop(bare);
  const single = await sqliteLoop(work, 1);
  const grouped = await sqliteLoop(work, 32);
  rows.push(
    row('bare SQLite insert, 1 row/commit', single, { unit: 'rows/s', note: `${single.commitRate.toFixed(0)} commits/s` }),
    row('bare SQLite insert, 32 rows/commit', grouped, { unit: 'rows/s', note: `${grouped.commitRate.toFixed(0)} commits/s` }),
  );
  return { bareGet: get.rate, barePost: post.rate, sqlite: { single: single.rate, grouped: grouped.rate } };
}

async function sqliteLoop(work, rowsPerCommit) {
  const file = join(work.dir, `ceiling-${rowsPerCommit}.db`);
  const child = forkScript(join(CHILD, 'sqlite-loop.js'), [file, String(SQLITE_LOOP_SECONDS), String(rowsPerCommit)]);
  const { commits, rows, seconds } = await nextMessage(child, 'done');
  return { rate: rows / seconds, commitRate: commits / seconds };
}

function fullLoad(work) {
  return { seconds: work.seconds, connections: work.connections };
}

// --- ingest ---------------------------------------------------------------------------------

async function measureIngest(work, ceilings, rows) {
  const receiver = await startReceiver(work, await createDatabase(work, 'ingest'));
  try {
    const token = await traffic.requestAccessToken(receiver.url, SYMMETRIC);
    const measure = rowRunner(receiver, rows);
    const get = { bare: ceilings.bareGet, sqlite: ceilings.sqlite };
    const post = { bare: ceilings.barePost, sqlite: ceilings.sqlite };
    const billerSent = [];
    const biller = await measure('biller reversal GET', () => newBillerCallback(billerSent), fullLoad(work), get);
    const qrCpm = await measure('qr-cpm-notify, HMAC-SHA512', () => qrCpmNotify(SYMMETRIC, token), fullLoad(work), post);
    await measure('qr-cpm-notify, SHA256withRSA', () => qrCpmNotify(ASYMMETRIC, null), fullLoad(work), post);
    await measure('bulk-cashin-notify, 100 items', () => traffic.bulkCashinNotify(SYMMETRIC, token, 100), fullLoad(work), { ...post, rowsPerRequest: 100 });
    await measure('biller, 80 % repeats of stored ones', repeatingBillerCallbacks(billerSent), fullLoad(work), get);
    // A rate we chose is no capacity: these rows are about latency, so they get no ratios.
    await measure('biller @70 % of max, paced', () => newBillerCallback(billerSent), paced(work, biller.rate * 0.7));
    await measure('qr-cpm HMAC @70 % of max, paced', () => qrCpmNotify(SYMMETRIC, token), paced(work, qrCpm.rate * 0.7));
  } finally {
    await receiver.stop();
  }
}

/** Runs one row against the receiver (autocannon, or paced when `options.paced`) and adds it to `rows`. */
function rowRunner(receiver, rows) {
  return async (name, nextRequest, options, ratios = {}) => {
    const result = options.paced ? await pace(receiver.url, nextRequest, options) : await drive(receiver.url, nextRequest, options);
    rows.push(row(name, result, { ...ratios, rss: receiver.rssMiB() }));
    return result;
  };
}

function paced(work, rate) {
  return { paced: true, seconds: work.seconds, rate, maxSockets: work.connections };
}

function newBillerCallback(sent) {
  const refid = traffic.uniqueId('B');
  sent.push(refid);
  return traffic.billerCallback(refid);
}

/** Four requests in five repeat a reference already sent (a provider retrying); the fifth is new. */
function repeatingBillerCallbacks(sent) {
  let count = 0;
  return () => {
    count++;
    if (count % 5 === 0) return newBillerCallback(sent);
    return traffic.billerCallback(sent[Math.floor(Math.random() * sent.length)]);
  };
}

function qrCpmNotify(source, token) {
  return traffic.qrCpmNotify(source, token, traffic.uniqueId('Q'));
}

// --- forwarding -----------------------------------------------------------------------------

/**
 * A backlog of seeded events is queued with POST /admin/replay only after the latency row, so that
 * row measures an idle outbox. The subscriber answers at once; its process is not the receiver's.
 */
async function measureForwarding(work, rows) {
  const database = await createDatabase(work, 'forward');
  await migrate(work, database);
  const seededUntil = Date.now();
  await seed(database, { from: 0, to: work.backlog, now: seededUntil });
  const subscriber = forkScript(join(CHILD, 'subscriber.js'));
  const subscriberUrl = `http://127.0.0.1:${(await nextMessage(subscriber, 'listening')).port}/hooks`;
  const receiver = await startReceiver(work, database, { subscriberUrl, deliveryWorkers: FORWARD_WORKERS });
  try {
    rows.push(await forwardingLatency(receiver, subscriber));
    rows.push(await backlogDrain(work, receiver, subscriber, seededUntil));
  } finally {
    await receiver.stop();
    await stop(subscriber);
  }
}

async function forwardingLatency(receiver, subscriber) {
  // The reference carries the send time; the subscriber subtracts it from the arrival time.
  const nextRequest = () => traffic.billerCallback(`L${Date.now()}-${traffic.uniqueId('')}`);
  // A fresh process compiles its hot paths and opens its first connections: not what is measured.
  const fresh = await ask(subscriber, 'stats');
  await pace(receiver.url, nextRequest, { seconds: 1, rate: LATENCY_RATE });
  await waitForDeliveries(subscriber, fresh.delivered + LATENCY_RATE, 5_000);
  const before = await ask(subscriber, 'stats');
  const sent = await pace(receiver.url, nextRequest, { seconds: LATENCY_SECONDS, rate: LATENCY_RATE });
  const accepted = sent.requests - sent.errors;
  const after = await waitForDeliveries(subscriber, before.delivered + accepted, 10_000);
  const latencies = after.latenciesMs.slice(before.latenciesMs.length).sort((a, b) => a - b);
  const missing = accepted - latencies.length;
  const result = { ...sent, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors: sent.errors + missing };
  return row(`forward: accepted → delivered @${LATENCY_RATE}/s`, result, {
    unit: 'callbacks/s',
    rss: receiver.rssMiB(),
    note: `${latencies.length} delivered, ${missing} not within 10 s (counted as errors); ${FORWARD_WORKERS} workers`,
  });
}

/** Deliveries a second while a replayed backlog is due, from the replay's answer for up to BENCH_DURATION. */
async function backlogDrain(work, receiver, subscriber, seededUntil) {
  const before = await ask(subscriber, 'stats');
  const replayStarted = performance.now();
  const filter = { until: new Date(seededUntil + 1).toISOString() };
  const queued = await receiver.admin('/admin/replay', { method: 'POST', body: { filter } });
  const replaySeconds = (performance.now() - replayStarted) / 1000;
  // Workers look for due deliveries every second, so some go out while the replay is still queueing.
  const start = await ask(subscriber, 'stats');
  const startedAt = performance.now();
  const end = await waitForDeliveries(subscriber, before.delivered + queued.deliveries, work.seconds * 1000);
  const seconds = (performance.now() - startedAt) / 1000;
  const delivered = end.delivered - start.delivered;
  return row(`forward: backlog of ${queued.deliveries} due at once`, { rate: delivered / seconds }, {
    unit: 'deliveries/s',
    rss: receiver.rssMiB(),
    note: `replay queued ${queued.deliveries} in ${replaySeconds.toFixed(1)} s (${start.delivered - before.delivered} delivered meanwhile), then ${delivered} in ${seconds.toFixed(1)} s`,
  });
}

async function waitForDeliveries(subscriber, target, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stats = await ask(subscriber, 'stats');
    if (stats.delivered >= target || performance.now() >= deadline) return stats;
    await sleep(100);
  }
}

// --- admin lists ----------------------------------------------------------------------------

/** The admin list routes at 10^4 events and at BENCH_ADMIN_ROWS, seeded straight into the tables. */
async function measureAdminLists(work, rows) {
  const database = await createDatabase(work, 'admin');
  await migrate(work, database);
  const now = Date.now();
  const seeding = [];
  let seeded = 0;
  for (const count of [...new Set([Math.min(FIRST_ADMIN_ROWS, work.adminRows), work.adminRows])]) {
    const started = performance.now();
    await seed(database, { from: seeded, to: count, now });
    seeding.push({ from: seeded, to: count, seconds: (performance.now() - started) / 1000 });
    seeded = count;
    await measureAdminQueries(work, database, landmarks(count, now), scale(count), rows);
  }
  return seeding;
}

async function measureAdminQueries(work, database, landmarks, scale, rows) {
  const receiver = await startReceiver(work, database);
  for (const [label, path] of adminQueries(landmarks)) {
    const result = await timeAdminQuery(receiver.adminUrl, path);
    rows.push(row(`admin ${label} @${scale}`, result, { rss: receiver.rssMiB(), note: `${path}: ${result.requests} requests, ${result.items} items each` }));
  }
  await receiver.stop();
}

/** How the table names a number of events: 10^4, 3·10^5, or the number itself. */
function scale(count) {
  const exponent = String(count).length - 1;
  const mantissa = count / 10 ** exponent;
  if (!Number.isInteger(mantissa)) return String(count);
  return mantissa === 1 ? `10^${exponent}` : `${mantissa}·10^${exponent}`;
}

function adminQueries({ reference, dayAgo }) {
  return [
    ['events ?source=', `/admin/events?source=${ASYMMETRIC.id}`],
    ['events ?reference=', `/admin/events?reference=${reference}`],
    ['events ?status= (rare)', '/admin/events?status=NOT_FOUND'],
    ['events ?channel&status&since', `/admin/events?channel=snap.qr-cpm&status=FAILED&since=${encodeURIComponent(dayAgo)}`],
    ['inbound ?outcome=duplicate', '/admin/inbound?outcome=duplicate'],
  ];
}

/** One request at a time, ADMIN_REQUESTS of them or for ADMIN_SECONDS, whichever ends first. */
async function timeAdminQuery(adminUrl, path) {
  const latencies = [];
  const statusCodes = {};
  let items = null;
  const started = performance.now();
  while (latencies.length < ADMIN_REQUESTS && performance.now() - started < ADMIN_SECONDS * 1000) {
    const sent = performance.now();
    const res = await fetch(`${adminUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const body = await res.json();
    latencies.push(performance.now() - sent);
    statusCodes[res.status] = (statusCodes[res.status] ?? 0) + 1;
    items = body.items?.length ?? null;
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const errors = latencies.length - (statusCodes[200] ?? 0);
  return {
    requests: latencies.length,
    rate: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors,
    statusCodes,
    items,
  };
}

// --- main -----------------------------------------------------------------------------------

function machine() {
  const cpus = os.cpus();
  return { cpus: cpus.length, model: cpus[0]?.model ?? null, memoryMiB: Math.round(os.totalmem() / 2 ** 20), node: process.version, platform: `${os.platform()} ${os.release()}` };
}

async function main() {
  const work = settings();
  const started = performance.now();
  const loadBefore = os.loadavg();
  const rows = [];
  const seeding = [];
  try {
    const ceilings = await measureCeilings(work, rows);
    if (work.only.has('ingest')) await measureIngest(work, ceilings, rows);
    if (work.only.has('forward')) await measureForwarding(work, rows);
    if (work.only.has('admin')) seeding.push(...(await measureAdminLists(work, rows)));
  } catch (error) {
    console.error('bench failed; the rows measured before it:');
    printReport(results(work, { loadBefore, started, seeding, rows }));
    throw error;
  } finally {
    killAll();
    await dropDatabases(work, work.databases);
    rmSync(work.dir, { recursive: true, force: true });
  }
  const done = results(work, { loadBefore, started, seeding, rows });
  printReport(done);
  writeResults(join(__dirname, 'results', work.engine === 'postgres' ? 'latest-postgres.json' : 'latest.json'), done);
}

function results(work, { loadBefore, started, seeding, rows }) {
  const { runId, engine, seconds, connections, backlog, adminRows } = work;
  return {
    date: new Date().toISOString(),
    machine: machine(),
    settings: { runId, engine, seconds, connections, backlog, adminRows },
    loadAverage: { before: loadBefore, after: os.loadavg() },
    wallSeconds: (performance.now() - started) / 1000,
    seeding,
    rows,
  };
}

main().catch((error) => {
  console.error(error);
  killAll();
  process.exit(1);
});
