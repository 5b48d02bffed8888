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

export type Source = BillerSource | SnapSource;

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
