import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Metrics } from './admin/metrics';
import { Pruner } from './admin/retention';
import { createAdminApp, createPublicApp } from './app';
import { systemClock } from './clock';
import { type Config, ConfigError } from './config/config';
import { loadConfig } from './config/load-config';
import { type DatabaseHandle, connectDatabase } from './db/connect';
import { migrateToLatest } from './db/migrator';
import { DeliveryDispatcher } from './delivery/delivery.worker';
import { type GracefulServer, graceful } from './graceful-server';
import { createLogger, startFields } from './logger';
import { WatchPoller } from './polling/watch.poller';

const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningService {
  readonly publicPort: number;
  readonly adminPort: number;
  stop(): Promise<void>;
}

/** config → database → migrations → listeners. Resolves once both listeners accept connections. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const database = await connectDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    serving: true,
    onBackgroundError: (what, error, level) => logger[level]({ err: error }, what),
  });
  try {
    const applied = await database.withoutStatementTimeout((db) => migrateToLatest(db));
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  } catch (error) {
    await database.close();
    throw error;
  }
  const metrics = new Metrics(database.db, systemClock, { defaultMetrics: true });
  database.writes.observe((commit) => metrics.committed(commit));
  const dispatcher = new DeliveryDispatcher({
    db: database.db,
    writes: database.writes,
    clock: systemClock,
    logger,
    subscribers: config.subscribers,
    workers: config.deliveryWorkers,
    metrics,
    ...(database.wakeups ? { peers: database.wakeups } : {}),
  });
  const poller = new WatchPoller({
    writes: database.writes,
    clock: systemClock,
    logger,
    sources: config.sources,
    subscribers: config.subscribers,
    metrics,
    outbox: dispatcher,
  });
  const deps = {
    config,
    db: database.db,
    writes: database.writes,
    health: database.health,
    freeBytes: () => database.freeBytes(),
    clock: systemClock,
    logger,
    outbox: dispatcher,
    metrics,
  };
  let publicServer: Listening | undefined;
  let adminServer: Listening;
  try {
    publicServer = await listen(createPublicApp(deps), config.port, config.host);
    adminServer = await listen(createAdminApp(deps), config.adminPort, config.adminHost);
  } catch (error) {
    // A port in use: nothing was started yet but the database (and its lock); give them back.
    await publicServer?.stop();
    await database.close();
    throw error;
  }
  const publicPort = (publicServer.server.address() as AddressInfo).port;
  const adminPort = (adminServer.server.address() as AddressInfo).port;
  dispatcher.start();
  poller.start();
  const pruner = new Pruner(database.db, systemClock, logger, config.retentionDays);
  pruner.start();
  logger.info({ engine: database.engine, ...startFields(config, { publicPort, adminPort }), deliveryWorkers: config.deliveryWorkers }, 'receiver listening');
  if (config.adminToken === null) {
    logger.warn('admin API closed: every /admin route answers 401 (and /metrics, /openapi.yaml); set ADMIN_TOKEN to open it');
  }
  return { publicPort, adminPort, stop: () => stop([publicServer, adminServer], dispatcher, poller, pruner, database, logger) };
}

type Listening = GracefulServer & { readonly server: Server };

function listen(app: import('express').Express, port: number, host: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    // Tracked from the first request, so a stop finds every one in flight.
    const tracked = { server, ...graceful(server) };
    server.once('listening', () => resolve(tracked));
    server.once('error', reject);
  });
}

/**
 * Stop accepting, let in-flight requests, delivery attempts and polls finish (bounded), then close the
 * database. Deliveries not yet attempted stay pending for the next start.
 */
async function stop(
  servers: readonly Listening[],
  dispatcher: DeliveryDispatcher,
  poller: WatchPoller,
  pruner: Pruner,
  database: DatabaseHandle,
  logger: Logger,
): Promise<void> {
  const closing = servers.map((server) => server.stop());
  const timer = setTimeout(() => {
    logger.warn('in-flight requests did not finish in time; closing their connections');
    for (const { server } of servers) server.closeAllConnections();
  }, SHUTDOWN_GRACE_MS);
  await Promise.all(closing);
  clearTimeout(timer);
  await Promise.all([dispatcher.stop(SHUTDOWN_GRACE_MS), poller.stop(SHUTDOWN_GRACE_MS)]);
  await pruner.stop();
  await database.close();
  logger.info('receiver stopped');
}

/** The process entry: exits 2 on a bad configuration, 0 after a graceful stop. */
export async function runServer(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const service = await startService(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (require.main === module) {
  runServer().catch((error: unknown) => {
    process.stderr.write(`receiver: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
