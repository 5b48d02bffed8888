import { type Config, ConfigError, type LogLevel } from './config';

type Settings = Omit<Config, 'sources' | 'subscribers'>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The only place that reads environment variables. */
export function readEnvironment(env: NodeJS.ProcessEnv): Settings {
  return {
    configFile: text(env, 'CONFIG_FILE', 'config/example.json'),
    databaseUrl: databaseUrl(env),
    host: text(env, 'HOST', '0.0.0.0'),
    port: integer(env, 'PORT', 8080, 0, 65535),
    adminHost: text(env, 'ADMIN_HOST', '127.0.0.1'),
    adminPort: integer(env, 'ADMIN_PORT', 8081, 0, 65535),
    adminToken: adminToken(env),
    trustProxy: integer(env, 'TRUST_PROXY', 0, 0, 10),
    logLevel: logLevel(env),
    deliveryWorkers: integer(env, 'DELIVERY_WORKERS', 4, 0, 256),
    rateLimitPerIpPerMinute: integer(env, 'RATE_LIMIT_PER_IP_PER_MINUTE', 12000, 1, 10_000_000),
    retentionDays: integer(env, 'RETENTION_DAYS', 0, 0, 36_500),
    // Two at least: the group committer takes half the pool, and reads need the rest.
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 2, 1000),
    databaseStatementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 0, 86_400_000),
  };
}

function text(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}

function databaseUrl(env: NodeJS.ProcessEnv): string {
  const value = text(env, 'DATABASE_URL', 'sqlite:data/receiver.db');
  if (/^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value)) return value;
  throw new ConfigError('DATABASE_URL', 'must be sqlite:<path>, sqlite::memory: or postgres://user:pass@host:port/db');
}

function adminToken(env: NodeJS.ProcessEnv): string | null {
  const value = env.ADMIN_TOKEN;
  if (value === undefined || value === '') return null;
  if (value.length < 16) throw new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters');
  return value;
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const value = text(env, 'LOG_LEVEL', 'info');
  const level = LOG_LEVELS.find((l) => l === value);
  if (!level) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}
