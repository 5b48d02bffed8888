import { performance } from 'node:perf_hooks';
import { type ErrorRequestHandler, type RequestHandler, Router } from 'express';
import type { BillerSource } from '../../config/config';
import type { AppDeps } from '../../deps';
import { sameSecret } from '../../secret-compare';
import { createAllowList } from '../allowlist';
import { clientIp } from '../client-ip';
import { countStored, rejectionLabel } from '../inbound-metrics';
import { describeRequest } from '../inbound-request';
import * as inboundService from '../inbound.service';
import { createRateLimits, sourceOf } from '../rate-limit';
import { rememberSecret } from '../redact';
import { Rejection, type RejectionKind } from '../rejection';
import { keptBodyOf, onlyMethod, readRawBody, refuseDeclaredOversize } from '../request-limits';
import type { UnknownCallerLimit } from '../unknown-callers';
import { toBillerReport } from './biller-report';

const ANSWERS: Readonly<Record<RejectionKind, { status: number; body: string }>> = {
  unknown_source: { status: 404, body: 'Not Found' },
  ip_not_allowed: { status: 403, body: 'Forbidden' },
  bad_credentials: { status: 403, body: 'Forbidden' },
  rate_limited: { status: 429, body: 'Too Many Requests' },
  invalid_request: { status: 400, body: 'Bad Request' },
  method_not_allowed: { status: 405, body: 'Method Not Allowed' },
  too_large: { status: 413, body: 'Payload Too Large' },
};

/** CONTRACT 3.1: `GET /callbacks/biller/:sourceId` and `GET /callbacks/biller/:sourceId/:token`. */
export function billerRoutes(deps: AppDeps, unknownCallers: UnknownCallerLimit): Router {
  const { config, writes, clock, logger, outbox, metrics } = deps;
  const ingest = { clock, subscribers: config.subscribers };
  const sources = new Map(
    config.sources.flatMap((s) => (s.type === 'biller' ? [[s.id, { source: s, allowList: createAllowList(s.allowedIps) }] as const] : [])),
  );

  // First on the route, so even a 405 or 413 hides the token, right or wrong, wherever it is logged or kept.
  const rememberToken: RequestHandler<{ sourceId: string; token?: string }> = (req, _res, next) => {
    rememberSecret(req, req.params.token);
    // Where the source id goes, anything but a configured id may be a token sent in the wrong place.
    if (!sources.has(req.params.sourceId)) rememberSecret(req, req.params.sourceId);
    next();
  };

  const identify: RequestHandler<{ sourceId: string; token?: string }> = (req, res, next) => {
    const entry = sources.get(req.params.sourceId);
    // Not quoted: whatever stands where the source id goes may be a token sent in the wrong place.
    if (!entry) throw new Rejection('unknown_source', 'unknown source');
    res.locals.source = entry.source;
    if (!entry.allowList.allows(clientIp(req))) {
      throw new Rejection('ip_not_allowed', 'IP not allowed');
    }
    next();
  };

  const checkToken: RequestHandler<{ sourceId: string; token?: string }> = (req, res, next) => {
    const expected = (sourceOf(res) as BillerSource).token;
    if (expected !== null) {
      if (req.params.token === undefined) throw new Rejection('bad_credentials', 'missing token');
      if (!sameSecret(req.params.token, expected)) throw new Rejection('bad_credentials', 'wrong token');
    }
    next();
  };

  const accept: RequestHandler = async (req, res) => {
    const source = sourceOf(res);
    const now = clock.now();
    const report = toBillerReport(source.id, req.query, now);
    const inbound = describeRequest(req, clock, 'biller', source.id, null);
    const answer = { status: 200, body: 'OK' };
    const started = performance.now();
    const result = await inboundService.storeAccepted(writes, ingest, inbound, [report], answer);
    countStored(metrics, req.log, source.id, 'biller', result, (performance.now() - started) / 1000);
    if (result.createdEventIds.length > 0) outbox.wake();
    req.log.info({ inboundId: inbound.id, events: result.createdEventIds, duplicateOf: result.duplicateOf }, 'biller reversal stored');
    res.status(answer.status).type('text/plain').send(answer.body);
  };

  const answerRejection: ErrorRequestHandler = async (error, req, res, next) => {
    if (!(error instanceof Rejection)) {
      next(error);
      return;
    }
    const answer = ANSWERS[error.kind];
    const body = error.kind === 'invalid_request' ? error.detail : answer.body;
    const source = (res.locals as { source?: BillerSource }).source;
    metrics.inboundRequest(source?.id ?? null, 'biller', rejectionLabel(error));
    const unrecorded = unknownCallers.unrecordedReason(req, res);
    if (unrecorded !== null) {
      metrics.inboundUnrecorded('biller', unrecorded);
      req.log.debug({ reason: error.detail }, 'biller callback rejected, not recorded: too many from this address');
    } else {
      const inbound = describeRequest(req, clock, 'biller', source?.id ?? null, keptBodyOf(req, res));
      try {
        await inboundService.storeRejected(writes, inbound, error.detail, { status: answer.status, body });
      } catch (storeError) {
        logger.error({ err: storeError, inboundId: inbound.id }, 'could not record a rejected biller callback');
      }
      req.log.warn({ inboundId: inbound.id, reason: error.detail }, 'biller callback rejected');
    }
    res.status(answer.status).type('text/plain').send(body);
  };

  const router = Router();
  const path = '/callbacks/biller/:sourceId{/:token}';
  // Every method passes the limits first, so anything but GET gets a 405, HEAD too (express would run the GET route).
  router.all(path, rememberToken, onlyMethod('GET'), refuseDeclaredOversize);
  // A reversal carries no body, but a streamed one is read (and bounded) like on any public route.
  router.get(path, identify, ...createRateLimits(config.rateLimitPerIpPerMinute), checkToken, readRawBody, accept);
  router.use('/callbacks/biller', answerRejection);
  return router;
}
