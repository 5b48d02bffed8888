import { type ErrorRequestHandler, Router } from 'express';
import type { SnapSource } from '../../config/config';
import type { AppDeps } from '../../deps';
import { httpStatusOf } from '../../http-status';
import { rejectionLabel } from '../inbound-metrics';
import { describeRequest } from '../inbound-request';
import * as inboundService from '../inbound.service';
import { createRateLimits } from '../rate-limit';
import { Rejection } from '../rejection';
import { keptBodyOf, onlyMethod, readRawBody, refuseDeclaredOversize } from '../request-limits';
import type { UnknownCallerLimit } from '../unknown-callers';
import { AccessTokenCache } from './access-token-cache';
import { ACCESS_TOKEN_PATH, ACCESS_TOKEN_SERVICE, issueAccessToken } from './access-token.route';
import { BULK_CASHIN, QR_CPM } from './notify-specs';
import { type NotifySpec, handleNotify } from './notify.route';
import { identifySnapSource, indexSnapSources } from './snap-checks';
import type { SignatureMatch } from './snap-crypto';
import { SnapRejection, answerFor, snapAnswer } from './snap-rejection';
import { jakartaTimestamp } from './snap-time';

/** CONTRACT 3.2: the access-token route and both notify routes, with SNAP answers throughout. */
export function snapRoutes(deps: AppDeps, unknownCallers: UnknownCallerLimit): Router {
  const entries = indexSnapSources(deps.config.sources.filter((s): s is SnapSource => s.type === 'snap'));
  const router = Router();
  const tokens = new AccessTokenCache();
  // Method and declared size come before any check, for every method (so others get a 405); the
  // body itself is read after the header-only checks, so an unknown caller cannot make us read a megabyte.
  const limits = [onlyMethod('POST'), refuseDeclaredOversize];

  router.all(ACCESS_TOKEN_PATH, ...limits);
  router.post(
    ACCESS_TOKEN_PATH,
    identifySnapSource(entries, 'X-CLIENT-KEY'),
    ...createRateLimits(deps.config.rateLimitPerIpPerMinute),
    readRawBody,
    issueAccessToken(deps, tokens),
  );
  router.use(ACCESS_TOKEN_PATH, answerRejection(deps, unknownCallers, ACCESS_TOKEN_SERVICE, 'snap.access-token', 'Unknown client'));

  const mountNotify = <B>(spec: NotifySpec<B>) => {
    router.all(spec.path, ...limits);
    router.post(
      spec.path,
      identifySnapSource(entries, 'X-PARTNER-ID'),
      ...createRateLimits(deps.config.rateLimitPerIpPerMinute),
      readRawBody,
      handleNotify(deps, spec, tokens),
    );
    router.use(spec.path, answerRejection(deps, unknownCallers, spec.service, spec.channel, 'Unknown partner'));
  };
  mountNotify(BULK_CASHIN);
  mountNotify(QR_CPM);
  return router;
}

/** Answers any failure on a SNAP route in SNAP terms and keeps the refused request, unknown callers within their limit. */
function answerRejection(
  deps: AppDeps,
  unknownCallers: UnknownCallerLimit,
  service: string,
  channel: string,
  unknownSourceReason: string,
): ErrorRequestHandler {
  return async (error: unknown, req, res, _next) => {
    let answer;
    let reason: string;
    if (error instanceof Rejection) {
      answer = answerFor(service, error, unknownSourceReason);
      reason = rejectionReason(answer.body.responseMessage, error);
    } else if (httpStatusOf(error) < 500) {
      answer = snapAnswer(service, 'bad_request');
      reason = `body not readable (${httpStatusOf(error)})`;
    } else {
      req.log.error({ err: error }, 'SNAP request failed');
      answer = snapAnswer(service, 'general_error');
      reason = 'internal error';
    }
    const source = (res.locals as { source?: SnapSource }).source;
    deps.metrics.inboundRequest(source?.id ?? null, channel, rejectionLabel(error));
    const unrecorded = unknownCallers.unrecordedReason(req, res);
    if (unrecorded !== null) {
      deps.metrics.inboundUnrecorded(channel, unrecorded);
      req.log.debug({ reason, responseCode: answer.body.responseCode }, 'SNAP request rejected, not recorded: too many from this address');
    } else {
      const signature = (res.locals as { signature?: SignatureMatch }).signature ?? null;
      const inbound = describeRequest(req, deps.clock, channel, source?.id ?? null, keptBodyOf(req, res), signature);
      try {
        await inboundService.storeRejected(deps.writes, inbound, reason, { status: answer.status, body: JSON.stringify(answer.body) });
      } catch (storeError) {
        deps.logger.error({ err: storeError, inboundId: inbound.id }, 'could not record a rejected SNAP request');
      }
      req.log.warn({ inboundId: inbound.id, reason, responseCode: answer.body.responseCode }, 'SNAP request rejected');
    }
    if (res.headersSent) return;
    res.status(answer.status).set('X-TIMESTAMP', jakartaTimestamp(deps.clock.now())).json(answer.body);
  };
}

/** What the inbound record says: the answer's message, and the detail when it adds something. */
function rejectionReason(message: string, error: Rejection): string {
  if (!(error instanceof SnapRejection)) return error.detail;
  return message.includes(error.detail) ? message : `${message}: ${error.detail}`;
}
