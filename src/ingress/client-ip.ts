import type { Request } from 'express';
import { parseAddress } from './allowlist';

/**
 * The caller's address: the socket's, or the one `TRUST_PROXY` hops back in X-Forwarded-For
 * (express applies the hop count), with IPv4-mapped IPv6 folded to IPv4.
 */
export function clientIp(req: Request): string {
  const raw = req.ip ?? req.socket.remoteAddress ?? '';
  return parseAddress(raw)?.toString() ?? raw;
}
