/** The one typed, validated and frozen configuration the process runs with. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface BillerSource {
  readonly id: string;
  readonly type: 'biller';
  readonly allowedIps: readonly string[];
  /** When set, the callback URL must carry it as its last path segment. */
  readonly token: string | null;
  readonly rateLimitPerMinute: number;
}

export interface SnapSource {
  readonly id: string;
  readonly type: 'snap';
  readonly partnerId: string;
  readonly allowedIps: readonly string[];
  readonly signature: 'symmetric' | 'asymmetric';
  /** PEM text of the provider's public key. */
  readonly publicKey: string;
  readonly clientSecret: string | null;
  readonly timestampToleranceSeconds: number;
  readonly accessTokenTtlSeconds: number;
  readonly rateLimitPerMinute: number;
  readonly maxBulkItems: number;
  /** A prefix the provider signed that a proxy in front strips (`/receiver`); tried after the path as received. */
  readonly signaturePathPrefix: string | null;
}

/**
 * A pull-only provider (CONTRACT 7): it never calls back, so the receiver polls it for the
 * transactions someone registered a watch for.
 */
export interface MmbcSource {
  readonly id: string;
  readonly type: 'mmbc-multipayment' | 'mmbc-ppob';
  /** `https://klikmbc.co.id`, without the `/json/…` path. */
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  /** Seconds to wait before each poll of a watch; the last repeats until the deadline. */
  readonly pollSchedule: readonly number[];
  readonly deadlineSeconds: number;
  readonly timeoutSeconds: number;
  /** Polls of this source in flight at once, per process. */
  readonly maxConcurrentPolls: number;
}

export type Source = BillerSource | SnapSource | MmbcSource;

export function isMmbcSource(source: Source): source is MmbcSource {
  return source.type === 'mmbc-multipayment' || source.type === 'mmbc-ppob';
}

export interface SubscriberFilter {
  readonly sources?: readonly string[];
  readonly channels?: readonly string[];
  readonly statuses?: readonly string[];
}

export interface Subscriber {
  readonly id: string;
  readonly url: string;
  /** Signing secrets, current first (`whsec_…`). */
  readonly secrets: readonly string[];
  readonly filter: SubscriberFilter;
  readonly retrySchedule: readonly number[];
  readonly timeoutSeconds: number;
  /** Attempts in flight to this subscriber at once, per process. */
  readonly concurrency: number;
}

export interface Config {
  readonly configFile: string;
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  readonly adminPort: number;
  readonly adminToken: string | null;
  readonly trustProxy: number;
  readonly logLevel: LogLevel;
  readonly deliveryWorkers: number;
  readonly rateLimitPerIpPerMinute: number;
  /** Days raw inbound records and attempts of delivered deliveries are kept; 0 keeps them forever. */
  readonly retentionDays: number;
  /** PostgreSQL connections this process keeps in its pool (DATABASE_POOL_SIZE). */
  readonly databasePoolSize: number;
  /** PostgreSQL `statement_timeout` of the server's connections, in ms; 0 leaves the server's own setting. */
  readonly databaseStatementTimeoutMs: number;
  readonly sources: readonly Source[];
  readonly subscribers: readonly Subscriber[];
}

export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];
export const DEFAULT_SOURCE_RATE_LIMIT_PER_MINUTE = 6000;
export const DEFAULT_TIMESTAMP_TOLERANCE_SECONDS = 300;
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 900;
export const DEFAULT_MAX_BULK_ITEMS = 1000;
export const DEFAULT_SUBSCRIBER_TIMEOUT_SECONDS = 10;
export const DEFAULT_SUBSCRIBER_CONCURRENCY = 4;
export const DEFAULT_POLL_SCHEDULE: readonly number[] = [10, 30, 60, 120, 300, 600, 1800];
export const DEFAULT_WATCH_DEADLINE_SECONDS = 172_800;
export const DEFAULT_POLL_TIMEOUT_SECONDS = 30;
export const DEFAULT_MAX_CONCURRENT_POLLS = 4;

/** Thrown for anything invalid in the environment or the config file; the message is one line. */
export class ConfigError extends Error {
  constructor(
    readonly at: string,
    reason: string,
  ) {
    super(`config: ${at}: ${reason}`);
    this.name = 'ConfigError';
  }
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
