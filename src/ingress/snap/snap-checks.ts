import { type KeyObject, createPublicKey } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { SnapSource } from '../../config/config';
import type { Clock } from '../../clock';
import { type AllowList, createAllowList } from '../allowlist';
import { clientIp } from '../client-ip';
import { Rejection } from '../rejection';
import { SnapRejection } from './snap-rejection';
import { parseXTimestamp } from './snap-time';

export interface SnapEntry {
  readonly source: SnapSource;
  readonly allowList: AllowList;
  readonly publicKey: KeyObject;
}

/** SNAP sources by partnerId, with their allowlists and parsed keys, built once. */
export function indexSnapSources(sources: readonly SnapSource[]): ReadonlyMap<string, SnapEntry> {
  return new Map(
    sources.map((source) => [
      source.partnerId,
      { source, allowList: createAllowList(source.allowedIps), publicKey: createPublicKey(source.publicKey) },
    ]),
  );
}

/** Checks 1 and 2: the source named by `header`, then its IP allowlist. */
export function identifySnapSource(entries: ReadonlyMap<string, SnapEntry>, header: string): RequestHandler {
  return (req, res, next) => {
    const entry = entries.get(req.get(header) ?? '');
    if (!entry) throw new Rejection('unknown_source', `unknown ${header} "${(req.get(header) ?? '').slice(0, 64)}"`);
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

/** The raw body as text (express.raw ran before); empty when there was none. */
export function rawBodyOf(req: Request): string {
  return Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
}

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
