import { randomBytes } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { sameSecret } from '../secret-compare';
import type { ConsoleContext } from './context';
import { queryText, sessionOf } from './context';
import { consolePath, noticeText } from './links';
import type { LoginThrottle } from './login-throttle';
import { SESSION_COOKIE, SESSION_TTL_MS, type Sessions, readCookie } from './session';

/** Holds the sign-in form's own token (there is no session yet to tie it to). */
const LOGIN_COOKIE = 'console_login';
const LOGIN_FORM_TTL_MS = 60 * 60 * 1000;

/** Whether the browser reached us over https (directly, or through a proxy TRUST_PROXY believes). */
export function overHttps(req: Request, trustProxy: number): boolean {
  if (req.secure) return true;
  const forwarded = req.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return trustProxy > 0 && forwarded === 'https';
}

/** CONTRACT 8 `/console/login` and `Sign out`. */
export function mountLogin(router: Router, ctx: ConsoleContext, sessions: Sessions, throttle: LoginThrottle): void {
  const { config } = ctx.deps;
  const cookieOptions = (req: Request, path: string) => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    path,
    secure: overHttps(req, config.trustProxy),
  });

  const showLogin = (req: Request, res: Response, status: number, error: string | null, next: string) => {
    // The form carries a random value that must match its cookie: another site cannot sign a
    // browser in (to a session of its own) without reading either.
    let formToken = readCookie(req.headers.cookie, LOGIN_COOKIE);
    if (!formToken || !/^[A-Za-z0-9_-]{32}$/.test(formToken)) {
      formToken = randomBytes(24).toString('base64url');
      res.cookie(LOGIN_COOKIE, formToken, { ...cookieOptions(req, '/console/login'), maxAge: LOGIN_FORM_TTL_MS });
    }
    ctx.views.send(
      res,
      'login',
      { title: 'Sign in', csrf: null, error, notice: noticeText(queryText(req, 'notice')), enabled: sessions.enabled, loginCsrf: formToken, next },
      status,
    );
  };

  router.get('/login', (req, res) => {
    const next = consolePath(queryText(req, 'next'));
    if (sessions.verify(readCookie(req.headers.cookie, SESSION_COOKIE))) {
      res.redirect(303, next);
      return;
    }
    showLogin(req, res, 200, null, next);
  });

  router.post('/login', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = consolePath(body.next);
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    if (!throttle.allows(client)) {
      req.log.warn({ client }, 'console sign-in throttled');
      res.set('Retry-After', '60');
      showLogin(req, res, 429, 'Too many attempts: wait a minute, then try again.', next);
      return;
    }
    const formToken = readCookie(req.headers.cookie, LOGIN_COOKIE);
    if (!formToken || typeof body._csrf !== 'string' || !sameSecret(body._csrf, formToken)) {
      res.clearCookie(LOGIN_COOKIE, cookieOptions(req, '/console/login'));
      showLogin(req, res, 403, 'This sign-in form expired: please try again.', next);
      return;
    }
    if (typeof body.token !== 'string' || !sessions.isAdminToken(body.token)) {
      throttle.failed(client);
      req.log.warn({ client }, 'console sign-in refused');
      showLogin(req, res, 401, 'Invalid token', next);
      return;
    }
    const { cookie } = sessions.issue();
    res.clearCookie(LOGIN_COOKIE, cookieOptions(req, '/console/login'));
    res.cookie(SESSION_COOKIE, cookie, { ...cookieOptions(req, '/console'), maxAge: SESSION_TTL_MS });
    req.log.info({ client }, 'console sign-in');
    res.redirect(303, next);
  });
}

/** `Sign out`: the cookie is dropped and this process refuses the session from now on. */
export function mountLogout(router: Router, ctx: ConsoleContext, sessions: Sessions): void {
  router.post('/logout', (req, res) => {
    sessions.revoke(sessionOf(res));
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/console', secure: overHttps(req, ctx.deps.config.trustProxy) });
    req.log.info('console sign-out');
    res.redirect(303, '/console/login?notice=signed-out');
  });
}
