import { CHANNELS, STATUSES } from '../events/event';
import type { PageCursor } from '../events/event.repository';
import { WATCH_STATES, type WatchState } from '../polling/watch.table';
import { ajv, describeFirstError } from '../validation';
import { InvalidRequestError } from './admin-errors';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const text = { type: 'string', minLength: 1, maxLength: 256 } as const;
const page = {
  limit: { type: 'string', pattern: '^[0-9]{1,3}$' },
  cursor: { type: 'string', maxLength: 512 },
} as const;
const timeRange = {
  since: { type: 'string', format: 'date-time' },
  until: { type: 'string', format: 'date-time' },
} as const;


const eventFilterProperties = {
  source: text,
  channel: { type: 'string', enum: CHANNELS },
  reference: text,
  status: { type: 'string', enum: STATUSES },
  ...timeRange,
} as const;

const validateEventQuery = ajv.compile<Record<string, string | undefined>>({
  type: 'object',
  properties: { ...eventFilterProperties, ...page },
  additionalProperties: false,
});

const validateInboundQuery = ajv.compile<Record<string, string | undefined>>({
  type: 'object',
  properties: { source: text, outcome: { type: 'string', enum: ['accepted', 'duplicate', 'rejected'] }, ...timeRange, ...page },
  additionalProperties: false,
});

const validateDeliveryQuery = ajv.compile<Record<string, string | undefined>>({
  type: 'object',
  properties: { state: { type: 'string', enum: ['pending', 'delivered', 'dead'] }, subscriber: text, ...page },
  additionalProperties: false,
});

const validateReplayBody = ajv.compile<{ filter?: Record<string, string>; all?: boolean; subscribers?: string[]; dryRun?: boolean }>({
  type: 'object',
  properties: {
    filter: { type: 'object', properties: eventFilterProperties, additionalProperties: false },
    all: { type: 'boolean' },
    subscribers: { type: 'array', items: text, maxItems: 100 },
    dryRun: { type: 'boolean' },
  },
  additionalProperties: false,
});

const validateSingleReplayBody = ajv.compile<{ subscribers?: string[]; dryRun?: boolean }>({
  type: 'object',
  properties: { subscribers: { type: 'array', items: text, maxItems: 100 }, dryRun: { type: 'boolean' } },
  additionalProperties: false,
});

/** `{"subscribers": […], "dryRun": false}` for one event, every key optional. */
export function parseSingleReplayBody(body: unknown) {
  const given = body ?? {};
  if (!validateSingleReplayBody(given)) throw bodyError(validateSingleReplayBody.errors);
  return { subscriberIds: given.subscribers, dryRun: given.dryRun ?? false };
}

const visible = { type: 'string', pattern: '^[\\x21-\\x7e]{1,64}$' } as const;

const validateWatchBody = ajv.compile<{ source: string; invoice: string; customerNumber?: string }>({
  type: 'object',
  properties: { source: text, invoice: visible, customerNumber: visible },
  required: ['source', 'invoice'],
  additionalProperties: false,
});

const validateWatchQuery = ajv.compile<Record<string, string | undefined>>({
  type: 'object',
  properties: { source: text, state: { type: 'string', enum: WATCH_STATES }, ...page },
  additionalProperties: false,
});

/** `{"source", "invoice", "customerNumber"}` (CONTRACT 7). */
export function parseWatchBody(body: unknown) {
  if (!validateWatchBody(body ?? {})) throw bodyError(validateWatchBody.errors);
  return body as { source: string; invoice: string; customerNumber?: string };
}

export function parseWatchQuery(query: unknown) {
  return parseList(validateWatchQuery, query, (q) => ({ source: q.source, state: q.state as WatchState | undefined }));
}

const validateNoQuery = ajv.compile<Record<string, never>>({ type: 'object', additionalProperties: false });

/** A route that takes no parameters still refuses them, as the lists refuse unknown ones. */
export function parseNoQuery(query: unknown): void {
  if (!validateNoQuery(query ?? {})) {
    const { path, message } = describeFirstError(validateNoQuery.errors);
    throw new InvalidRequestError(`${path.replace(/^\//, '')} ${message}`);
  }
}

const validateRedriveBody = ajv.compile<{ subscriber?: string; since?: string; until?: string; all?: boolean; dryRun?: boolean }>({
  type: 'object',
  properties: { subscriber: text, ...timeRange, all: { type: 'boolean' }, dryRun: { type: 'boolean' } },
  additionalProperties: false,
});

/** `{"subscriber", "since", "until", "all", "dryRun"}` for a retry of dead deliveries, every key optional here. */
export function parseRedriveBody(body: unknown) {
  const given = body ?? {};
  if (!validateRedriveBody(given)) throw bodyError(validateRedriveBody.errors);
  return {
    filter: {
      ...(given.subscriber !== undefined ? { subscriber: given.subscriber } : {}),
      ...(given.since !== undefined ? { since: instant(given.since) } : {}),
      ...(given.until !== undefined ? { until: instant(given.until) } : {}),
      ...(given.all !== undefined ? { all: given.all } : {}),
    },
    dryRun: given.dryRun ?? false,
  };
}

function bodyError(errors: Parameters<typeof describeFirstError>[0]): InvalidRequestError {
  const { path, message } = describeFirstError(errors);
  // The body itself (an array, say) has the empty path: name it rather than start with a space.
  return new InvalidRequestError(`${path.replace(/^\//, '').replace(/\//g, '.') || 'body'} ${message}`);
}

/**
 * `{"filter": {…as the events query…}, "subscribers": […], "dryRun": false}`. A filter that selects
 * something is required, or `"all": true` on its own: a forgotten filter must not quietly send
 * every event ever stored to every subscriber again.
 */
export function parseReplayBody(body: unknown) {
  const given = body ?? {};
  if (!validateReplayBody(given)) throw bodyError(validateReplayBody.errors);
  const filter = given.filter ?? {};
  const filtered = Object.keys(filter).length > 0;
  if (given.all === true && filtered) throw new InvalidRequestError('all replays every event: give it without a filter');
  if (given.all !== true && !filtered) {
    throw new InvalidRequestError(`filter is required (any of ${Object.keys(eventFilterProperties).join(', ')}); to replay every event, send "all": true instead`);
  }
  return {
    filter: { ...filter, since: instant(filter.since), until: instant(filter.until) },
    subscriberIds: given.subscribers,
    dryRun: given.dryRun ?? false,
  };
}

export interface ListQuery<F> {
  readonly filter: F;
  readonly limit: number;
  readonly after?: PageCursor;
}

export function parseEventQuery(query: unknown) {
  return parseList(validateEventQuery, query, (q) => ({
    source: q.source,
    channel: q.channel,
    reference: q.reference,
    status: q.status,
    since: instant(q.since),
    until: instant(q.until),
  }));
}

export function parseInboundQuery(query: unknown) {
  return parseList(validateInboundQuery, query, (q) => ({
    source: q.source,
    outcome: q.outcome,
    since: instant(q.since),
    until: instant(q.until),
  }));
}

export function parseDeliveryQuery(query: unknown) {
  return parseList(validateDeliveryQuery, query, (q) => ({
    state: q.state as 'pending' | 'delivered' | 'dead' | undefined,
    subscriber: q.subscriber,
  }));
}

function parseList<F>(
  validate: ((data: unknown) => boolean) & { errors?: Parameters<typeof describeFirstError>[0] },
  query: unknown,
  toFilter: (q: Record<string, string | undefined>) => F,
): ListQuery<F> {
  if (!validate(query)) {
    const { path, message } = describeFirstError(validate.errors);
    throw new InvalidRequestError(`${path.replace(/^\//, '')} ${message}`);
  }
  const q = query as Record<string, string | undefined>;
  const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit);
  if (limit < 1 || limit > MAX_LIMIT) throw new InvalidRequestError(`limit must be from 1 to ${MAX_LIMIT}`);
  const filter = toFilter(q);
  return q.cursor === undefined ? { filter, limit } : { filter, limit, after: decodeCursor(q.cursor) };
}

function instant(value: string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

function decodeCursor(text: string): PageCursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string') return { at, id };
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError('cursor is not one this API gave out');
}
