// The receiver under test: its production build (dist/src/server.js) in a child process on
// 127.0.0.1, with the bench's config file and one database per phase.
const { randomBytes } = require('node:crypto');
const { join } = require('node:path');
const { freePort, rssMiB, spawnCommand, stop, waitUntilOk } = require('./processes');
const { writeConfigFile } = require('./sources');

const DIST = join(__dirname, '..', '..', 'dist', 'src');
const ADMIN_TOKEN = randomBytes(24).toString('hex');
// Where no subscriber listens: rows that do not forward still write the outbox row every event
// makes in production, but run with DELIVERY_WORKERS=0, so nothing is sent there.
const NOWHERE = 'http://127.0.0.1:9/not-forwarding';

/**
 * Starts the receiver and waits for `/readyz`. `subscriberUrl` (optional) receives every event,
 * with `deliveryWorkers` workers and as many attempts in flight for that subscriber.
 */
async function startReceiver(work, database, { subscriberUrl = NOWHERE, deliveryWorkers = 0 } = {}) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const configFile = writeConfigFile(join(work.dir, `${database.name}.config.json`), subscriberUrl, Math.max(1, deliveryWorkers));
  const env = receiverEnv(database, configFile, { PORT: String(port), ADMIN_PORT: String(adminPort), DELIVERY_WORKERS: String(deliveryWorkers) });
  const child = spawnCommand(process.execPath, [join(DIST, 'server.js')], env);
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitUntilOk(`${adminUrl}/readyz`, child);
  return {
    url: `http://127.0.0.1:${port}`,
    adminUrl,
    rssMiB: () => rssMiB(child.pid),
    admin: (path, init) => adminRequest(adminUrl, path, init),
    stop: () => stopAndShowLog(child, database.name),
  };
}

/** At LOG_LEVEL=warn a healthy run logs nothing; whatever it did log, the reader should see. */
async function stopAndShowLog(child, phase) {
  await stop(child);
  const log = child.output().trim();
  if (log) console.error(`receiver (${phase}) logged, last 2 KiB:\n${log.slice(-2048)}`);
}

/** Runs the migrations alone (`cli migrate`), so a phase can seed tables before the server starts. */
async function migrate(work, database) {
  const configFile = writeConfigFile(join(work.dir, `${database.name}.config.json`), NOWHERE, 1);
  const child = spawnCommand(process.execPath, [join(DIST, 'cli.js'), 'migrate'], receiverEnv(database, configFile, {}));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`migrate exited with ${code}: ${child.output()}`);
}

function receiverEnv(database, configFile, extra) {
  return {
    PATH: process.env.PATH ?? '',
    CONFIG_FILE: configFile,
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_IP_PER_MINUTE: '10000000',
    ...extra,
  };
}

/** An admin API call with the bearer token; answers the parsed JSON, throws on a non-2xx. */
async function adminRequest(adminUrl, path, { method = 'GET', body } = {}) {
  const res = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

module.exports = { startReceiver, migrate, ADMIN_TOKEN };
