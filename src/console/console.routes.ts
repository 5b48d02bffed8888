import express, { type ErrorRequestHandler, type Express, type RequestHandler, Router } from 'express';
import type { AppDeps } from '../deps';
import { httpStatusOf } from '../http-status';
import { SCRIPT, STYLESHEET } from './assets';
import { type ConsoleContext, showMessage } from './context';
import { mountDeliveriesPage } from './deliveries.page';
import { mountEventsPage } from './events.page';
import { mountLogin, mountLogout } from './login.page';
import { createLoginThrottle } from './login-throttle';
import { SESSION_COOKIE, type Session, type Sessions, createSessions, readCookie, sameCsrf } from './session';
import { mountSourcesPage } from './sources.page';
import { mountTransactionPage } from './transaction.page';
import { createViews } from './views';
import { mountWatchesPage } from './watches.page';

/**
 * The page's own rules, in place of the admin API's: scripts and styles from this listener only,
 * forms posted only here, never framed. Without `upgrade-insecure-requests`, since the admin
 * port is often reached over plain http on a closed network, where upgraded requests would fail.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
].join('; ');

/** CONTRACT 8: the operator console, at `/console` on the admin listener. */
export function mountConsole(app: Express, deps: AppDeps): void {
  app.use('/console', consoleRouter(deps));
}

function consoleRouter(deps: AppDeps): Router {
  const ctx: ConsoleContext = { deps, views: createViews() };
  const sessions = createSessions(deps.config.adminToken, deps.clock);
  const router = Router();

  router.use((_req, res, next) => {
    res.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    next();
  });
  router.get('/assets/console.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').type('css').send(STYLESHEET);
  });
  router.get('/assets/console.js', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').type('js').send(SCRIPT);
  });
  router.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 1000 }));

  mountLogin(router, ctx, sessions, createLoginThrottle(deps.clock));
  router.use(requireSession(ctx, sessions));
  router.use(requireFormToken(ctx));
  mountLogout(router, ctx, sessions);
  mountEventsPage(router, ctx);
  mountTransactionPage(router, ctx);
  mountDeliveriesPage(router, ctx);
  mountSourcesPage(router, ctx);
  mountWatchesPage(router, ctx);

  router.use((_req, res) => {
    showMessage(ctx, res, 404, { title: 'Not found', message: 'The console has no such page.' });
  });
  router.use(lastResort(ctx));
  return router;
}

/** Pages need a session: a reader is sent to sign in (and back), a form post is refused. */
function requireSession(ctx: ConsoleContext, sessions: Sessions): RequestHandler {
  return (req, res, next) => {
    const session = sessions.verify(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (session) {
      (res.locals as { session?: Session }).session = session;
      next();
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      res.redirect(303, `/console/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    showMessage(ctx, res, 403, { title: 'Not signed in', message: 'Your session has ended: sign in again.', back: '/console/login', backLabel: 'Sign in' });
  };
}

/** Every state-changing form carries the session's token; one without it (another site's) is refused. */
function requireFormToken(ctx: ConsoleContext): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      next();
      return;
    }
    const session = (res.locals as { session: Session }).session;
    if (!sameCsrf((req.body as Record<string, unknown> | undefined)?._csrf, session)) {
      req.log.warn({ path: req.path }, 'console form refused: no valid CSRF token');
      showMessage(ctx, res, 403, {
        title: 'Refused',
        message: 'This form has no valid security token, so nothing was done. Reload the page and try again.',
      });
      return;
    }
    next();
  };
}

/** An unexpected failure: logged with its details, shown as a plain page that leaks none. */
function lastResort(ctx: ConsoleContext): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status = httpStatusOf(error);
    if (status < 500) {
      showMessage(ctx, res, status, { title: 'Bad request', message: 'The console could not read this request.' });
      return;
    }
    req.log.error({ err: error }, 'console page failed');
    if (res.headersSent) return;
    showMessage(ctx, res, 500, { title: 'Something went wrong', message: 'The page could not be shown. The error is in the log; try again in a moment.' });
  };
}
