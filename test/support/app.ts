import pino, { type Logger } from 'pino';
import { Metrics } from '../../src/admin/metrics';
import { createAdminApp, createPublicApp } from '../../src/app';
import type { Config } from '../../src/config/config';
import type { AppDeps } from '../../src/deps';
import type { TestClock } from './clock';
import { testClock } from './clock';
import { buildConfig } from './config';
import type { TestDatabase } from './database';

export interface TestApps {
  readonly deps: AppDeps & { readonly clock: TestClock };
  readonly publicApp: ReturnType<typeof createPublicApp>;
  readonly adminApp: ReturnType<typeof createAdminApp>;
}

export function buildApps(database: TestDatabase, config: Config = buildConfig(), options: { logger?: Logger } = {}): TestApps {
  const clock = testClock();
  const deps = {
    config,
    db: database.handle.db,
    writes: database.handle.writes,
    health: database.handle.health,
    clock,
    logger: options.logger ?? pino({ level: 'silent' }),
    outbox: { wake: () => undefined },
    metrics: new Metrics(database.handle.db, clock),
  };
  return { deps, publicApp: createPublicApp(deps), adminApp: createAdminApp(deps) };
}
