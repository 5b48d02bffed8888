import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock';
import { sameSecret } from '../secret-compare';

export const SESSION_COOKIE = 'console_session';
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export interface Session {
  readonly id: string;
  readonly expiresAt: number;
  /** The token every form of this session carries back (CSRF). */
  readonly csrf: string;
}

export interface Sessions {
  /** False when no ADMIN_TOKEN is set: then nobody can sign in. */
  readonly enabled: boolean;
  /** Whether `token` is the admin token, compared in constant time. */
  isAdminToken(token: string): boolean;
  /** A new session and the cookie value that carries it. */
  issue(): { session: Session; cookie: string };
  /** The session a cookie value carries, if it is genuine, unexpired and not signed out. */
  verify(cookie: string | undefined): Session | undefined;
  /** Sign out: this process refuses the session from now on, even if the cookie was copied. */
  revoke(session: Session): void;
}

/**
 * Sessions are signed, not stored: the cookie holds a random id and its expiry, with an
 * HMAC-SHA256 whose key is derived from ADMIN_TOKEN. A restart or another replica with the same
 * token keeps operators signed in; a changed ADMIN_TOKEN changes the key, which ends every
 * session at once. Signed-out ids are remembered in this process until they would have expired.
 */
export function createSessions(adminToken: string | null, clock: Clock): Sessions {
  const key = adminToken === null ? null : createHmac('sha256', adminToken).update('receiver console session v1').digest();
  const revoked = new Map<string, number>();

  const mac = (text: string) => createHmac('sha256', key as Buffer).update(text).digest('base64url');
  const csrfOf = (id: string) => mac(`csrf.${id}`);

  return {
    enabled: key !== null,
    isAdminToken: (token) => adminToken !== null && token.length > 0 && sameSecret(token, adminToken),
    issue() {
      if (!key) throw new Error('sessions need ADMIN_TOKEN');
      const id = randomBytes(18).toString('base64url');
      const expiresAt = clock.now().getTime() + SESSION_TTL_MS;
      const payload = `v1.${id}.${expiresAt}`;
      return { session: { id, expiresAt, csrf: csrfOf(id) }, cookie: `${payload}.${mac(payload)}` };
    },
    verify(cookie) {
      if (!key || !cookie) return undefined;
      const match = /^(v1\.([A-Za-z0-9_-]{24})\.([0-9]{1,16}))\.([A-Za-z0-9_-]{43})$/.exec(cookie);
      if (!match) return undefined;
      const [, payload, id, expiry, signature] = match as unknown as [string, string, string, string, string];
      const expected = Buffer.from(mac(payload));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      const expiresAt = Number(expiry);
      if (expiresAt <= clock.now().getTime() || revoked.has(id)) return undefined;
      return { id, expiresAt, csrf: csrfOf(id) };
    },
    revoke(session) {
      const now = clock.now().getTime();
      for (const [id, expiresAt] of revoked) if (expiresAt <= now) revoked.delete(id);
      revoked.set(session.id, session.expiresAt);
    },
  };
}

/** Whether a form's token is this session's, in constant time. */
export function sameCsrf(given: unknown, session: Session): boolean {
  return typeof given === 'string' && given.length > 0 && sameSecret(given, session.csrf);
}

/** One cookie's value from a Cookie header, without a parser for what the console never sets. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
