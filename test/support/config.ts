import type { BillerSource, Config, MmbcSource, Source } from '../../src/config/config';
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

/** An `mmbc-multipayment` source (CONTRACT 7); its baseUrl refuses connections unless overridden. */
export function mmbcMultipaymentSource(overrides: Partial<MmbcSource> = {}): MmbcSource {
  return {
    id: 'mmbc-reload',
    type: 'mmbc-multipayment',
    baseUrl: 'http://127.0.0.1:9',
    username: 'test-user',
    password: 'test-password-0123456789',
    pollSchedule: [10, 30, 60],
    deadlineSeconds: 3600,
    timeoutSeconds: 5,
    maxConcurrentPolls: 4,
    ...overrides,
  };
}

/** An `mmbc-ppob` source (CONTRACT 7), with the same defaults as mmbcMultipaymentSource. */
export function mmbcPpobSource(overrides: Partial<MmbcSource> = {}): MmbcSource {
  return mmbcMultipaymentSource({ id: 'mmbc-ppob', type: 'mmbc-ppob', ...overrides });
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
    databasePoolSize: 10,
    databaseStatementTimeoutMs: 30_000,
    sources: [billerSource()],
    subscribers: [],
    ...overrides,
  });
}
