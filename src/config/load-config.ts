import { createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseAllowEntry } from '../ingress/allowlist';
import { ajv, describeFirstError } from '../validation';
import {
  type Config,
  ConfigError,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  DEFAULT_MAX_BULK_ITEMS,
  DEFAULT_MAX_CONCURRENT_POLLS,
  DEFAULT_POLL_SCHEDULE,
  DEFAULT_POLL_TIMEOUT_SECONDS,
  DEFAULT_RETRY_SCHEDULE,
  DEFAULT_SOURCE_RATE_LIMIT_PER_MINUTE,
  DEFAULT_SUBSCRIBER_CONCURRENCY,
  DEFAULT_SUBSCRIBER_TIMEOUT_SECONDS,
  DEFAULT_TIMESTAMP_TOLERANCE_SECONDS,
  DEFAULT_WATCH_DEADLINE_SECONDS,
  type MmbcSource,
  type Source,
  type Subscriber,
  deepFreeze,
} from './config';
import {
  type ConfigFile,
  type MmbcSourceEntry,
  type PemRef,
  type SecretRef,
  type SourceEntry,
  type SubscriberEntry,
  configFileSchema,
} from './config-file.schema';
import { readEnvironment } from './env';

const validateConfigFile = ajv.compile<ConfigFile>(configFileSchema);

export interface LoadOptions {
  /**
   * For commands that only read the database (listing events, showing a delivery): a secret
   * written as `{"env": "NAME"}` whose variable is unset does not stop loading. It gets a random
   * value nobody knows instead, so nothing can be signed or verified with it, and an operator
   * need not hold every provider's and subscriber's secret to look at the data. Anything that
   * receives, signs or polls must load strictly.
   */
  readonly allowMissingSecrets?: boolean;
}

/** Reads the environment and the config file once; throws ConfigError naming what is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadOptions = {}): Config {
  const settings = readEnvironment(env);
  const file = readConfigFile(settings.configFile);
  const baseDir = dirname(resolve(settings.configFile));
  const secrets = new SecretResolver(env, baseDir, options.allowMissingSecrets ?? false);
  const sources = file.sources.map((entry, i) => resolveSource(entry, `/sources/${i}`, secrets));
  const subscribers = (file.subscribers ?? []).map((entry, i) =>
    resolveSubscriber(entry, `/subscribers/${i}`, secrets),
  );
  checkUnique(sources.map((s) => s.id), '/sources', 'id', 'source id');
  checkUnique(
    sources.map((s) => (s.type === 'snap' ? s.partnerId : null)),
    '/sources',
    'partnerId',
    'partnerId',
  );
  checkUnique(subscribers.map((s) => s.id), '/subscribers', 'id', 'subscriber id');
  subscribers.forEach((subscriber, i) => {
    subscriber.filter.sources?.forEach((id, j) => {
      if (!sources.some((s) => s.id === id)) {
        throw new ConfigError(`/subscribers/${i}/filter/sources/${j}`, `no source has the id "${id}"`);
      }
    });
  });
  return deepFreeze({ ...settings, sources, subscribers });
}

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError('CONFIG_FILE', `cannot read ${path} (${code})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('CONFIG_FILE', `${path} is not valid JSON (${(error as Error).message})`);
  }
  if (!validateConfigFile(parsed)) {
    const { path: at, message } = describeFirstError(validateConfigFile.errors);
    throw new ConfigError(at, message);
  }
  return parsed;
}

function resolveSource(entry: SourceEntry, at: string, secrets: SecretResolver): Source {
  if (isMmbcEntry(entry)) return resolveMmbcSource(entry, at, secrets);
  const allowedIps = entry.allowedIps ?? [];
  allowedIps.forEach((value, i) => {
    if (parseAllowEntry(value) === null) throw new ConfigError(`${at}/allowedIps/${i}`, 'must be an IP address or CIDR range');
  });
  const rateLimitPerMinute = entry.rateLimitPerMinute ?? DEFAULT_SOURCE_RATE_LIMIT_PER_MINUTE;
  if (entry.type === 'biller') {
    const token = entry.token === undefined ? null : secrets.secret(entry.token, `${at}/token`);
    return { id: entry.id, type: 'biller', allowedIps, token, rateLimitPerMinute };
  }
  const publicKey = secrets.pem(entry.publicKey, `${at}/publicKey`);
  try {
    if (!secrets.isStandIn(publicKey)) createPublicKey(publicKey);
  } catch {
    throw new ConfigError(`${at}/publicKey`, 'must be a PEM public key');
  }
  const clientSecret = entry.clientSecret === undefined ? null : secrets.secret(entry.clientSecret, `${at}/clientSecret`);
  if (entry.signature === 'symmetric' && clientSecret === null) {
    throw new ConfigError(`${at}/clientSecret`, 'is required when signature is symmetric');
  }
  return {
    id: entry.id,
    type: 'snap',
    partnerId: entry.partnerId,
    allowedIps,
    signature: entry.signature,
    publicKey,
    clientSecret,
    timestampToleranceSeconds: entry.timestampToleranceSeconds ?? DEFAULT_TIMESTAMP_TOLERANCE_SECONDS,
    accessTokenTtlSeconds: entry.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    rateLimitPerMinute,
    maxBulkItems: entry.maxBulkItems ?? DEFAULT_MAX_BULK_ITEMS,
    signaturePathPrefix: entry.signaturePathPrefix ?? null,
  };
}

function isMmbcEntry(entry: SourceEntry): entry is MmbcSourceEntry {
  return entry.type === 'mmbc-multipayment' || entry.type === 'mmbc-ppob';
}

function resolveMmbcSource(entry: MmbcSourceEntry, at: string, secrets: SecretResolver): MmbcSource {
  const deadlineSeconds = entry.deadlineSeconds ?? DEFAULT_WATCH_DEADLINE_SECONDS;
  const timeoutSeconds = entry.timeoutSeconds ?? DEFAULT_POLL_TIMEOUT_SECONDS;
  return {
    id: entry.id,
    type: entry.type,
    // One spelling, so `${baseUrl}/json/…` never doubles a slash.
    baseUrl: entry.baseUrl.replace(/\/+$/, ''),
    username: secrets.secret(entry.username, `${at}/username`),
    password: secrets.secret(entry.password, `${at}/password`),
    pollSchedule: entry.pollSchedule ?? DEFAULT_POLL_SCHEDULE,
    deadlineSeconds,
    timeoutSeconds,
    maxConcurrentPolls: entry.maxConcurrentPolls ?? DEFAULT_MAX_CONCURRENT_POLLS,
  };
}

function resolveSubscriber(entry: SubscriberEntry, at: string, secrets: SecretResolver): Subscriber {
  const refs = Array.isArray(entry.secret) ? entry.secret : [entry.secret];
  const resolved = refs.map((ref, i) => {
    const path = Array.isArray(entry.secret) ? `${at}/secret/${i}` : `${at}/secret`;
    const value = secrets.secret(ref, path);
    if (!secrets.isStandIn(value) && !isWebhookSecret(value)) throw new ConfigError(path, 'must be whsec_ followed by a base64 key of at least 16 bytes');
    return value;
  });
  return {
    id: entry.id,
    url: entry.url,
    secrets: resolved,
    filter: entry.filter ?? {},
    retrySchedule: entry.retrySchedule ?? DEFAULT_RETRY_SCHEDULE,
    timeoutSeconds: entry.timeoutSeconds ?? DEFAULT_SUBSCRIBER_TIMEOUT_SECONDS,
    concurrency: entry.concurrency ?? DEFAULT_SUBSCRIBER_CONCURRENCY,
  };
}

class SecretResolver {
  /** What a missing secret resolves to when that is allowed: unguessable, and the same nowhere else. */
  private readonly standIn = `unset-${randomBytes(32).toString('hex')}`;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly baseDir: string,
    private readonly allowMissing: boolean,
  ) {}

  secret(ref: SecretRef, at: string): string {
    if (typeof ref === 'string') return ref;
    const value = this.env[ref.env];
    if (value === undefined || value === '') {
      if (this.allowMissing) return this.standIn;
      throw new ConfigError(at, `environment variable ${ref.env} is not set`);
    }
    return value;
  }

  isStandIn(value: string): boolean {
    return value === this.standIn;
  }

  pem(ref: PemRef, at: string): string {
    if (typeof ref === 'string' || 'env' in ref) return this.secret(ref, at);
    const path = resolve(this.baseDir, ref.file);
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(at, `cannot read ${ref.file} (${code})`);
    }
  }
}

function isWebhookSecret(value: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value);
  return match !== null && Buffer.from(match[1] ?? '', 'base64').length >= 16;
}

function checkUnique(values: readonly (string | null)[], at: string, key: string, what: string): void {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (value === null) return;
    if (seen.has(value)) throw new ConfigError(`${at}/${i}/${key}`, `duplicate ${what} "${value}"`);
    seen.add(value);
  });
}
