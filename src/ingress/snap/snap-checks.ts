import { type KeyObject, createPublicKey } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { SnapSource } from '../../config/config';
import type { Clock } from '../../clock';
import { type AllowList, createAllowList } from '../allowlist';
import { clientIp } from '../client-ip';
import { Rejection } from '../rejection';
import type { NotifyKey } from './snap-crypto';
import { SnapRejection } from './snap-rejection';
import { parseXTimestamp } from './snap-time';

export interface SnapEntry {
  readonly source: SnapSource;
  readonly allowList: AllowList;
  /** Verifies access-token requests (and asymmetric notifies). */
  readonly publicKey: KeyObject;
  /** Verifies notifies, in the source's signature mode. */
  readonly notifyKey: NotifyKey;
}

/** SNAP sources by partnerId, with their allowlists and parsed keys, built once. */
export function indexSnapSources(sources: readonly SnapSource[]): ReadonlyMap<string, SnapEntry> {
  return new Map(
    sources.map((source) => {
      const publicKey = createPublicKey(source.publicKey);
      const notifyKey: NotifyKey =
        source.signature === 'symmetric' ? { mode: 'symmetric', clientSecret: source.clientSecret ?? '' } : { mode: 'asymmetric', publicKey };
      return [source.partnerId, { source, allowList: createAllowList(source.allowedIps), publicKey, notifyKey }];
    }),
  );
}

/** The first checks: `header` present, the source it names, then that source's IP allowlist. */
export function identifySnapSource(entries: ReadonlyMap<string, SnapEntry>, header: string): RequestHandler {
  return (req, res, next) => {
    const named = req.get(header);
    if (!named) throw new SnapRejection('missing_field', header);
    const entry = entries.get(named);
    if (!entry) throw new Rejection('unknown_source', `unknown ${header} "${named.slice(0, 64)}"`);
    res.locals.source = entry.source;
    res.locals.snap = entry;
    if (!entry.allowList.allows(clientIp(req))) throw new Rejection('ip_not_allowed', 'IP not allowed');
    next();
  };
}

export function snapEntryOf(res: { locals: Record<string, unknown> }): SnapEntry {
  const entry = res.locals.snap as SnapEntry | undefined;
  if (!entry) throw new Error('SNAP source not identified');
  return entry;
}

/** The body exactly as sent (readRawBody ran before); empty when there was none. */
export function rawBodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : EMPTY;
}

const EMPTY = Buffer.alloc(0);

export function requireHeaders(req: Request, names: readonly string[]): void {
  for (const name of names) {
    if (!req.get(name)) throw new SnapRejection('missing_field', name);
  }
}

/** X-TIMESTAMP in the SNAP format and within the source's tolerance, either way. */
export function checkTimestamp(req: Request, clock: Clock, toleranceSeconds: number): string {
  const timestamp = req.get('X-TIMESTAMP') ?? '';
  const at = parseXTimestamp(timestamp);
  if (at === null) throw new SnapRejection('invalid_field', 'X-TIMESTAMP');
  if (Math.abs(clock.now().getTime() - at) > toleranceSeconds * 1000) {
    throw new SnapRejection('unauthorized', 'Timestamp out of range', 'bad_credentials');
  }
  return timestamp;
}
