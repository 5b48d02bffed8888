const REDACTED = '[REDACTED]';

// Headers that carry credentials or signatures: never logged, never stored.
export const SECRET_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-signature',
  'x-client-secret',
];

export function redactHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    kept[name] = SECRET_HEADERS.includes(name.toLowerCase()) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/** The Biller token travels as a path segment (`/callbacks/biller/:source/:token`); hide it. */
export function redactUrl(url: string): string {
  return url.replace(/^(\/callbacks\/biller\/[^/?#]+\/)[^/?#]+/, `$1${REDACTED}`);
}
