import * as ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An address or CIDR range from `allowedIps`, or null when it is neither. */
export function parseAllowEntry(entry: string): Range | null {
  const [address = '', prefix, ...rest] = entry.split('/');
  if (rest.length > 0) return null;
  const parsed = parseAddress(address);
  if (!parsed) return null;
  const maxBits = parsed.kind() === 'ipv4' ? 32 : 128;
  if (prefix === undefined) return [parsed, maxBits];
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > maxBits) return null;
  return [parsed, Number(prefix)];
}

/**
 * Parses a client address strictly (dotted quads only, no `127.1` shorthands) and folds an
 * IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) to its IPv4 form, so one rule covers both.
 */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text) || text.includes('%')) return null;
  const v6 = ipaddr.IPv6.parse(text);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

export interface AllowList {
  allows(clientIp: string | undefined): boolean;
}

/** Fails closed: an empty list, or an address that does not parse, is never allowed. */
export function createAllowList(entries: readonly string[]): AllowList {
  const ranges = entries.map((entry) => {
    const range = parseAllowEntry(entry);
    if (!range) throw new Error(`not an IP address or CIDR range: ${entry}`);
    return range;
  });
  // Most entries are single addresses, and most callers send them as written: a Set answers
  // those without parsing; anything else (ranges, IPv4-mapped IPv6, other spellings) is parsed.
  const exact = new Set(ranges.filter(([base, bits]) => bits === (base.kind() === 'ipv4' ? 32 : 128)).map(([base]) => base.toString()));
  return {
    allows(clientIp) {
      if (!clientIp) return false;
      if (exact.has(clientIp)) return true;
      const address = parseAddress(clientIp);
      if (!address) return false;
      return ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
    },
  };
}
