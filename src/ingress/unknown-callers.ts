import type { Request, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Clock } from '../clock';
import type { Source } from '../config/config';
import { createAllowList } from './allowlist';
import { clientIp } from './client-ip';

/** Why a refused request went unrecorded; a metric label, so a fixed set. */
export type UnrecordedReason = 'unknown_source' | 'ip_not_allowed';

/** Refusals from unknown callers recorded per client IP and minute (CONTRACT 3). */
export const RECORDS_PER_IP_PER_MINUTE = 60;
/** Distinct client IPs counted in one minute; past this, unknown callers from new IPs go unrecorded. */
const MAX_COUNTED_IPS = 10_000;
const WINDOW_MS = 60_000;

export interface UnknownCallerLimit {
  /**
   * For a refused request: null when it is to be recorded, or why it is not. Counts the request
   * when it comes from a caller no source stands behind.
   */
  unrecordedReason(req: Request, res: Response): UnrecordedReason | null;
}

/**
 * Refusals that no source stands behind (no source named, or an IP no source allows) would let
 * anyone on the internet write rows at will, so each client IP gets a fixed number of records a
 * minute; known sources from allowed IPs are recorded in full. Counted in memory, one limit per
 * app, and bounded: the counts are dropped when the minute turns, and a minute counts at most
 * MAX_COUNTED_IPS addresses.
 */
export function createUnknownCallerLimit(clock: Clock, sources: readonly Source[], perMinute = RECORDS_PER_IP_PER_MINUTE): UnknownCallerLimit {
  // Pull-only sources never call: they allow no address.
  const anySource = createAllowList(sources.flatMap((s) => ('allowedIps' in s ? s.allowedIps : [])));
  let window = -1;
  const counts = new Map<string, number>();

  const mayRecord = (ip: string): boolean => {
    const now = Math.floor(clock.now().getTime() / WINDOW_MS);
    if (now !== window) {
      window = now;
      counts.clear();
    }
    // An IPv6 client counts by its /56, as in the rate limits, so rotating addresses gains nothing.
    const key = ipKeyGenerator(ip);
    const used = counts.get(key) ?? 0;
    if (used >= perMinute || (used === 0 && counts.size >= MAX_COUNTED_IPS)) return false;
    counts.set(key, used + 1);
    return true;
  };

  return {
    unrecordedReason(req, res) {
      const ip = clientIp(req);
      // No source identified: none named, an unknown one, or a 405/413 refused before the lookup.
      const identified = (res.locals as { source?: unknown }).source !== undefined;
      const reason: UnrecordedReason | null = !identified ? 'unknown_source' : anySource.allows(ip) ? null : 'ip_not_allowed';
      if (reason === null || mayRecord(ip)) return null;
      return reason;
    },
  };
}
