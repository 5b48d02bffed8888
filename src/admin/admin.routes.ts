import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type ErrorRequestHandler, type Express, type RequestHandler, Router } from 'express';
import { httpStatusOf } from '../http-status';
import { readinessCheck } from '../db/readiness';
import type { AppDeps } from '../deps';
import * as deliveryRepository from '../delivery/delivery.repository';
import * as eventRepository from '../events/event.repository';
import * as transactionRepository from '../events/transaction.repository';
import * as inboundRepository from '../ingress/inbound.repository';
import { sameSecret } from '../secret-compare';
import { ConflictError, InvalidRequestError, NotFoundError } from './admin-errors';
import { encodeCursor, parseEventQuery, parseInboundQuery } from './admin-query';
import { toDeliveryView } from './delivery.view';
import { toInboundView } from './inbound.view';
import { mountDeliveryRoutes } from './delivery.routes';
import { mountReplayRoutes } from './replay.routes';
import { mountSubscriberRoutes } from './subscriber.routes';
import { mountWatchRoutes } from './watch.routes';

/** Every query parameter the admin API reads; the request log hides the value of any other. */
export const QUERY_PARAMETERS: ReadonlySet<string> = new Set([
  'source',
  'channel',
  'reference',
  'status',
  'since',
  'until',
  'limit',
  'cursor',
  'state',
  'subscriber',
  'outcome',
]);

/** CONTRACT 6: health and readiness without auth; everything else behind `ADMIN_TOKEN`. */
export function mount(app: Express, deps: AppDeps): void {
  const { db } = deps;
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const readiness = readinessCheck(db, deps.health, deps.clock, deps.freeBytes);
  app.get('/readyz', async (_req, res) => {
    const { ready, checks } = await readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });

  app.get('/metrics', requireToken(deps.config.adminToken), async (_req, res) => {
    // Readiness is a gauge too, so an alert needs nothing but the scrape.
    const { ready } = await readiness().catch(() => ({ ready: false }));
    const text = await deps.metrics.scrape({ subscribers: deps.config.subscribers.map((subscriber) => subscriber.id), ready });
    res.type(deps.metrics.registry.contentType).send(text);
  });

  app.get('/openapi.yaml', requireToken(deps.config.adminToken), (_req, res) => {
    res.type('text/yaml').send(openApiDocument());
  });

  const router = Router();
  router.use(requireToken(deps.config.adminToken));
  router.use(express.json({ limit: '64kb' }));
  mountReplayRoutes(router, deps);

  router.get('/events', async (req, res) => {
    const { filter, limit, after } = parseEventQuery(req.query);
    const rows = await eventRepository.listEvents(db, filter, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    res.json({
      items: items.map(eventRepository.toPaymentEvent),
      nextCursor: rows.length > limit && last ? encodeCursor({ at: last.created_at, id: last.id }) : null,
    });
  });

  router.get('/events/:id', async (req, res) => {
    const row = await eventRepository.findEvent(db, req.params.id);
    if (!row) throw new NotFoundError(`no event ${req.params.id}`);
    const inbound = row.inbound_id ? await inboundRepository.findInbound(db, row.inbound_id) : undefined;
    const deliveries = await deliveryRepository.listForEvent(db, row.id);
    const attempts = await deliveryRepository.listAttempts(db, deliveries.map((d) => d.id));
    res.json({
      event: eventRepository.toPaymentEvent(row),
      inbound: inbound ? toInboundView(inbound) : null,
      deliveries: deliveries.map((d) => toDeliveryView(d, attempts.filter((a) => a.delivery_id === d.id))),
    });
  });

  router.get('/transactions/:source/:reference', async (req, res) => {
    const { source, reference } = req.params;
    const transaction = await transactionRepository.findTransaction(db, source, reference);
    if (!transaction) throw new NotFoundError(`no transaction ${reference} from ${source}`);
    const events = await eventRepository.listTransactionEvents(db, source, reference);
    res.json({
      source: transaction.source_id,
      reference: transaction.reference,
      channel: transaction.channel,
      status: transaction.status,
      statusEventId: transaction.status_event_id,
      createdAt: transaction.created_at,
      updatedAt: transaction.updated_at,
      events: events.map(eventRepository.toPaymentEvent),
    });
  });

  router.get('/inbound', async (req, res) => {
    const { filter, limit, after } = parseInboundQuery(req.query);
    const rows = await inboundRepository.listInbound(db, filter, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    res.json({
      items: items.map(toInboundView),
      nextCursor: rows.length > limit && last ? encodeCursor({ at: last.received_at, id: last.id }) : null,
    });
  });

  router.get('/inbound/:id', async (req, res) => {
    const row = await inboundRepository.findInbound(db, req.params.id);
    if (!row) throw new NotFoundError(`no inbound record ${req.params.id}`);
    res.json(toInboundView(row));
  });

  mountDeliveryRoutes(router, deps);
  mountWatchRoutes(router, deps);
  mountSubscriberRoutes(router, deps);

  app.use('/admin', router);
  app.use(requireToken(deps.config.adminToken), (_req, _res) => {
    throw new NotFoundError('no such route');
  });
  app.use(answerError);
}

let openApiText: string | undefined;

/** openapi.yaml from the project root, found from here whether running from src/ or dist/src/. */
function openApiDocument(): string {
  if (openApiText === undefined) {
    let dir = __dirname;
    while (!existsSync(join(dir, 'openapi.yaml')) && dirname(dir) !== dir) dir = dirname(dir);
    openApiText = readFileSync(join(dir, 'openapi.yaml'), 'utf8');
  }
  return openApiText;
}

/** Bearer `ADMIN_TOKEN`, compared in constant time; with no token configured, nobody gets in. */
function requireToken(adminToken: string | null): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (adminToken === null || !match?.[1] || !sameSecret(match[1], adminToken)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json(errorBody('unauthorized', 'a valid admin bearer token is required'));
      return;
    }
    next();
  };
}

const answerError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  if (error instanceof NotFoundError) {
    res.status(404).json(errorBody('not_found', error.message));
  } else if (error instanceof ConflictError) {
    res.status(409).json(errorBody('conflict', error.message));
  } else if (error instanceof InvalidRequestError) {
    res.status(400).json(errorBody('invalid_request', error.message));
  } else {
    const status = httpStatusOf(error);
    if (status >= 500) req.log.error({ err: error }, 'admin request failed');
    res.status(status).json(errorBody(status >= 500 ? 'internal' : 'invalid_request', status >= 500 ? 'internal error' : 'bad request'));
  }
};

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}
