import { STATUS_CODES } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import * as adminRoutes from './admin/admin.routes';
import type { Config } from './config/config';
import { mountConsole } from './console/console.routes';
import type { AppDeps } from './deps';
import { markUnrouted, rememberConfiguredSecrets } from './ingress/redact';
import { billerRoutes } from './ingress/biller/biller.route';
import { snapRoutes } from './ingress/snap/snap.routes';
import { createUnknownCallerLimit } from './ingress/unknown-callers';
import { httpStatusOf } from './http-status';
import { requestLogging } from './logger';
import { fixedSecurityHeaders } from './security-headers';

const MAX_URL_LENGTH = 8192;

/** The listener providers call (PORT). No listen() here: the caller decides where it runs. */
export function createPublicApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Providers never revalidate a callback answer: hashing every body for an ETag is wasted.
  app.set('etag', false);
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestLogging(deps.logger));
  app.use(rememberConfiguredSecrets(configuredSecrets(deps.config)));
  app.use(fixedSecurityHeaders());
  app.use(limitUrlLength);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // One count per app, shared by both route families: an unknown caller gets its records a minute in all.
  const unknownCallers = createUnknownCallerLimit(deps.clock, deps.config.sources);
  app.use(billerRoutes(deps, unknownCallers));
  app.use(snapRoutes(deps, unknownCallers));
  app.use((req, res) => {
    markUnrouted(req);
    res.status(404).type('text/plain').send('Not Found');
  });
  app.use(lastResortPlain);
  return app;
}

/** The operators' listener (ADMIN_PORT): health, readiness, the admin API and the console. */
export function createAdminApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogging(deps.logger, { knownQuery: adminRoutes.QUERY_PARAMETERS }));
  app.use(rememberConfiguredSecrets(configuredSecrets(deps.config)));
  app.use(helmet());
  app.use(limitUrlLength);
  // Before the admin routes, whose last handler answers every other path with a bearer-token 401.
  mountConsole(app, deps);
  adminRoutes.mount(app, deps);
  return app;
}

function configuredSecrets(config: Config): string[] {
  const fromSources = config.sources.flatMap((source) =>
    source.type === 'biller' ? [source.token] : source.type === 'snap' ? [source.clientSecret] : [source.password],
  );
  return [...fromSources, config.adminToken].filter((secret): secret is string => secret !== null);
}

const limitUrlLength: RequestHandler = (req, res, next) => {
  if (req.originalUrl.length > MAX_URL_LENGTH) {
    res.status(414).type('text/plain').send('URI Too Long');
    return;
  }
  next();
};

/** Whatever no route handled: a client error keeps its status, anything else is a bare 500. */
const lastResortPlain: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const status = httpStatusOf(error);
  if (status >= 500) req.log.error({ err: error }, 'unhandled error');
  if (res.headersSent) return;
  res.status(status).type('text/plain').send(STATUS_CODES[status] ?? 'Error');
};
