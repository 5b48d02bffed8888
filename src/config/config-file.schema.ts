import { CHANNELS, STATUSES } from '../events/event';

/** A secret written literally or as `{"env": "NAME"}`. */
export type SecretRef = string | { env: string };
/** A PEM key written literally, as `{"env": "NAME"}` or as `{"file": "path"}` (relative to the config file). */
export type PemRef = string | { env: string } | { file: string };

export interface ConfigFile {
  sources: SourceEntry[];
  subscribers?: SubscriberEntry[];
}

export type SourceEntry = BillerSourceEntry | SnapSourceEntry | MmbcSourceEntry;

export interface MmbcSourceEntry {
  id: string;
  type: 'mmbc-multipayment' | 'mmbc-ppob';
  baseUrl: string;
  username: SecretRef;
  password: SecretRef;
  pollSchedule?: number[];
  deadlineSeconds?: number;
  timeoutSeconds?: number;
  maxConcurrentPolls?: number;
}

export interface BillerSourceEntry {
  id: string;
  type: 'biller';
  allowedIps?: string[];
  token?: SecretRef;
  rateLimitPerMinute?: number;
}

export interface SnapSourceEntry {
  id: string;
  type: 'snap';
  partnerId: string;
  allowedIps?: string[];
  signature: 'symmetric' | 'asymmetric';
  publicKey: PemRef;
  clientSecret?: SecretRef;
  timestampToleranceSeconds?: number;
  accessTokenTtlSeconds?: number;
  rateLimitPerMinute?: number;
  maxBulkItems?: number;
  signaturePathPrefix?: string;
}

export interface SubscriberEntry {
  id: string;
  url: string;
  secret: SecretRef | SecretRef[];
  filter?: { sources?: string[]; channels?: string[]; statuses?: string[] };
  retrySchedule?: number[];
  timeoutSeconds?: number;
  concurrency?: number;
}

const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';
const ID = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

// Keywords for objects apply only to objects and `minLength` only to strings, so one schema
// covers both spellings of a secret without an anyOf (whose errors are hard to read).
const secretRef = {
  type: ['string', 'object'],
  minLength: 1,
  properties: { env: { type: 'string', pattern: ENV_NAME } },
  required: ['env'],
  additionalProperties: false,
} as const;

const pemRef = {
  type: ['string', 'object'],
  minLength: 1,
  properties: {
    env: { type: 'string', pattern: ENV_NAME },
    file: { type: 'string', minLength: 1 },
  },
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
} as const;

const allowedIps = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 } } as const;
const rateLimit = { type: 'integer', minimum: 1, maximum: 1_000_000 } as const;

export const configFileSchema = {
  type: 'object',
  properties: {
    sources: {
      type: 'array',
      items: {
        type: 'object',
        discriminator: { propertyName: 'type' },
        properties: { type: { type: 'string' } },
        required: ['type'],
        oneOf: [
          {
            properties: {
              id: { type: 'string', pattern: ID },
              type: { const: 'biller' },
              allowedIps,
              token: secretRef,
              rateLimitPerMinute: rateLimit,
            },
            required: ['id', 'type'],
            additionalProperties: false,
          },
          {
            properties: {
              id: { type: 'string', pattern: ID },
              type: { const: 'snap' },
              partnerId: { type: 'string', minLength: 1, maxLength: 64 },
              allowedIps,
              signature: { type: 'string', enum: ['symmetric', 'asymmetric'] },
              publicKey: pemRef,
              clientSecret: secretRef,
              timestampToleranceSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
              accessTokenTtlSeconds: { type: 'integer', minimum: 60, maximum: 86_400 },
              rateLimitPerMinute: rateLimit,
              maxBulkItems: { type: 'integer', minimum: 1, maximum: 100_000 },
              // What a proxy in front strips from the path the provider signed, e.g. `/receiver`.
              signaturePathPrefix: { type: 'string', pattern: '^(/[A-Za-z0-9._~!$&\'()*+,;=:@%-]+)+$', maxLength: 256 },
            },
            required: ['id', 'type', 'partnerId', 'signature', 'publicKey'],
            additionalProperties: false,
          },
          {
            properties: {
              id: { type: 'string', pattern: ID },
              type: { enum: ['mmbc-multipayment', 'mmbc-ppob'] },
              // Scheme and host (and a path prefix, if any): the `/json/…` paths are the provider's.
              baseUrl: { type: 'string', format: 'uri', pattern: '^https?://[^?#]+$', maxLength: 512 },
              username: secretRef,
              password: secretRef,
              pollSchedule: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 86_400 }, minItems: 1, maxItems: 100 },
              deadlineSeconds: { type: 'integer', minimum: 60, maximum: 2_592_000 },
              timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 300 },
              maxConcurrentPolls: { type: 'integer', minimum: 1, maximum: 100 },
            },
            required: ['id', 'type', 'baseUrl', 'username', 'password'],
            additionalProperties: false,
          },
        ],
      },
    },
    subscribers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', pattern: ID },
          url: { type: 'string', format: 'uri', pattern: '^https?://' },
          secret: {
            type: ['string', 'object', 'array'],
            minLength: 1,
            minItems: 1,
            items: secretRef,
            properties: { env: { type: 'string', pattern: ENV_NAME } },
            required: ['env'],
            additionalProperties: false,
          },
          filter: {
            type: 'object',
            properties: {
              sources: { type: 'array', items: { type: 'string', pattern: ID } },
              channels: { type: 'array', items: { type: 'string', enum: CHANNELS } },
              statuses: { type: 'array', items: { type: 'string', enum: STATUSES } },
            },
            additionalProperties: false,
          },
          retrySchedule: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 604_800 } },
          timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 300 },
          concurrency: { type: 'integer', minimum: 1, maximum: 1000 },
        },
        required: ['id', 'url', 'secret'],
        additionalProperties: false,
      },
    },
  },
  required: ['sources'],
  additionalProperties: false,
} as const;
