import type { BillerSource, Config, Source } from '../../src/config/config';
import { deepFreeze } from '../../src/config/config';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const BILLER_TOKEN = 'biller-test-token';

export function billerSource(overrides: Partial<BillerSource> = {}): BillerSource {
  return {
    id: 'biller-a',
    type: 'biller',
    allowedIps: ['127.0.0.1', '::1'],
    token: BILLER_TOKEN,
    rateLimitPerMinute: 6000,
    ...overrides,
  };
}

/** A Config literal, as the service would have after loadConfig. */
export function buildConfig(overrides: Partial<Config> & { sources?: readonly Source[] } = {}): Config {
  return deepFreeze({
    configFile: 'test',
    databaseUrl: 'sqlite::memory:',
    host: '127.0.0.1',
    port: 0,
    adminHost: '127.0.0.1',
    adminPort: 0,
    adminToken: ADMIN_TOKEN,
    trustProxy: 0,
    logLevel: 'silent',
    deliveryWorkers: 0,
    rateLimitPerIpPerMinute: 12000,
    retentionDays: 0,
    sources: [billerSource()],
    subscribers: [],
    ...overrides,
  });
}
