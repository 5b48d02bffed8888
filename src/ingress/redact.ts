export const REDACTED = '[REDACTED]';

/**
 * Headers whose values are logged and stored as sent. Everything else is kept by name only: a
 * provider (or an operator) may put a credential in any header, and a deny-list misses the new ones.
 */
const SAFE_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'user-agent',
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'accept',
  'accept-encoding',
  'connection',
  'origin',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-real-ip',
  // SNAP headers that identify, never authenticate (CONTRACT 3.2).
  'x-timestamp',
  'x-partner-id',
  'x-client-key',
  'x-external-id',
  'channel-id',
  'x-device-id',
  'x-ip-address',
  'x-latitude',
  'x-longitude',
]);

export function redactHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    kept[name] = !SAFE_HEADERS.has(name.toLowerCase()) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

// The token checked by a route, per request, so every later redaction of that request hides it;
// weak, so a finished request takes its secrets with it.
const secretsByRequest = new WeakMap<object, readonly string[]>();

/** Remembers a secret-looking value the router found in this request's URL (a right or a wrong token). */
export function rememberSecret(req: object, value: string | undefined): void {
  if (!value) return;
  // A fresh array: the first list may be the app's shared one.
  secretsByRequest.set(req, [...(secretsByRequest.get(req) ?? NONE), value]);
}

/**
 * Every secret the configuration holds (biller tokens, client secrets, the admin token), so a
 * caller who puts one anywhere in a URL, where no route would look for it, still never finds it in
 * a log or a record. The list is shared, not copied, per request.
 */
export function rememberConfiguredSecrets(secrets: readonly string[]): (req: object, _res: unknown, next: () => void) => void {
  const list = Object.freeze(secrets.filter((secret) => secret.length >= 8));
  return (req, _res, next) => {
    if (list.length > 0) secretsByRequest.set(req, list);
    next();
  };
}

export function secretsOf(req: object): readonly string[] {
  return secretsByRequest.get(req) ?? NONE;
}

const NONE: readonly string[] = [];

// Path separators as the router or a proxy may read them: `/`, `\` and their percent-encodings.
const SEPARATOR = /[/\\]|%2f|%5c/gi;

const unrouted = new WeakSet<object>();

/** No route took this request: its URL is whatever a caller typed, credentials included. */
export function markUnrouted(req: object): void {
  unrouted.add(req);
}

/**
 * The URL of a request as it may be logged or kept: redactUrl with the secrets known for it, and,
 * when no route took it, only its first path segment and the names of its query parameters.
 */
export function redactRequestUrl(req: object, url: string): string {
  const redacted = redactUrl(url, secretsOf(req));
  return unrouted.has(req) ? firstSegmentOnly(redacted) : redacted;
}

function firstSegmentOnly(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const first = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*)?\/[^/\\]*/.exec(path)?.[0] ?? '';
  const rest = path.length > first.length ? `/${REDACTED}` : '';
  const query = queryAt === -1 ? '' : `?${url.slice(queryAt + 1).split('&').map((param) => `${param.split('=')[0]?.slice(0, 15) ?? ''}=${REDACTED}`).join('&')}`;
  return `${first.slice(0, 64)}${rest}${query}`;
}

/**
 * Hides the Biller token (`/callbacks/biller/:source/:token`) in a URL as received, however it is
 * spelled: path words in any case or percent-encoded, absolute-form targets, doubled or encoded
 * slashes. Everything in the path after the source is hidden, since the router may have read any
 * of it as the token. Then every URL component equal to or containing a `secrets` value, raw or
 * decoded, is hidden too, in case the router read the URL in a way this parse does not.
 */
export function redactUrl(url: string, secrets: readonly string[] = NONE): string {
  return redactKnownSecrets(redactBillerToken(url), secrets);
}

function redactBillerToken(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const segments: { text: string; end: number }[] = [];
  let start = 0;
  for (const separator of path.matchAll(SEPARATOR)) {
    segments.push({ text: path.slice(start, separator.index), end: separator.index });
    start = separator.index + separator[0].length;
  }
  segments.push({ text: path.slice(start), end: path.length });
  const words = segments.filter((s) => s.text !== '');
  for (let i = 0; i + 2 < words.length; i++) {
    if (pathWord(words[i]?.text) !== 'callbacks' || pathWord(words[i + 1]?.text) !== 'biller') continue;
    const sourceEnd = words[i + 2]?.end ?? path.length;
    const rest = path.slice(sourceEnd);
    if (rest.replace(SEPARATOR, '') === '') return url;
    return `${path.slice(0, sourceEnd)}/${REDACTED}${url.slice(path.length)}`;
  }
  return url;
}

function pathWord(segment: string | undefined): string {
  return decode(segment ?? '').toLowerCase();
}

function redactKnownSecrets(url: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return url;
  const lowered = secrets.map((secret) => secret.toLowerCase());
  return url
    .split(/([/\\?&=;#])/)
    .map((part) => (formsOf(part).some((form) => holdsAny(form, secrets, lowered)) ? REDACTED : part))
    .join('');
}

/** A URL component as sent, decoded once and twice, and with `+` read as a space. */
function formsOf(part: string): string[] {
  // Nothing to decode: every form is the part itself (the common case, worth the shortcut).
  if (!part.includes('%') && !part.includes('+')) return [part];
  const once = decode(part);
  return [part, once, decode(once), decode(part.replace(/\+/g, ' '))];
}

// A token of a few characters would match inside ordinary words and wipe the stored query that
// re-processing reads; such a token is only hidden where it stands alone. A longer one is
// unmistakable: a copy in another case, or inside a longer component, still gives it away.
function holdsAny(component: string, secrets: readonly string[], lowered: readonly string[]): boolean {
  let lower: string | undefined;
  return secrets.some((secret, i) => {
    if (component === secret) return true;
    if (secret.length < 8) return false;
    lower ??= component.toLowerCase();
    return lower.includes(lowered[i] ?? secret);
  });
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// Shorter than any ADMIN_TOKEN may be, so an unknown name kept in the log cannot be the token itself.
const SHOWN_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * Hides the value of every query parameter whose name is not in `known` (the admin API's own):
 * an operator who pastes a token into a query string must not find it in the logs. The name stays
 * when it is short enough to be only a name, so the log still shows what was sent.
 */
export function redactQuery(url: string, known: ReadonlySet<string>): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return url;
  const params = url
    .slice(queryAt + 1)
    .split('&')
    .map((param) => {
      const equals = param.indexOf('=');
      const name = equals === -1 ? param : param.slice(0, equals);
      if (known.has(decode(name.replace(/\+/g, ' ')))) return param;
      return SHOWN_NAME.test(name) ? `${name}=${REDACTED}` : REDACTED;
    });
  return `${url.slice(0, queryAt + 1)}${params.join('&')}`;
}
