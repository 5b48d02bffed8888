import pino from 'pino';
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

export function buildApps(database: TestDatabase, config: Config = buildConfig()): TestApps {
  const deps = { config, db: database.handle.db, clock: testClock(), logger: pino({ level: 'silent' }), outbox: { wake: () => undefined } };
  return { deps, publicApp: createPublicApp(deps), adminApp: createAdminApp(deps) };
}
