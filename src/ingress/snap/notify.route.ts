import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import type { ValidateFunction } from 'ajv';
import type { SnapSource } from '../../config/config';
import type { AppDeps } from '../../deps';
import type { Channel, StatusReport } from '../../events/event';
import { countStored } from '../inbound-metrics';
import { describeRequest } from '../inbound-request';
import * as inboundService from '../inbound.service';
import type { AccessTokenCache } from './access-token-cache';
import * as accessTokenRepository from './access-token.repository';
import { checkTimestamp, rawBodyOf, requireHeaders, snapEntryOf } from './snap-checks';
import { MAX_JSON_DEPTH, parseBody, sha256Hex } from './body-forms';
import { verifyNotifySignature } from './snap-crypto';
import { reportsFrom } from './notify-specs';
import { SnapRejection } from './snap-rejection';
import * as snapRequestRepository from './snap-request.repository';
import { jakartaDay, jakartaTimestamp } from './snap-time';

/** What differs between the notify routes; everything else is the shared pipeline below. */
export interface NotifySpec<B> {
  readonly path: string;
  readonly service: string;
  readonly channel: Channel;
  readonly validate: ValidateFunction<B>;
  /** Checks the schema cannot express; throws a SnapRejection. */
  readonly check?: (body: B, source: SnapSource) => void;
  readonly toReports: (body: B, source: SnapSource) => StatusReport[];
  /** Fields the success answer carries besides responseCode and responseMessage. */
  readonly successFields?: (body: B) => Record<string, unknown>;
}

// 1–64 visible ASCII characters: DOKU's SDK sends a 50-character `uuid-epochMillis`, the seeds 32 digits.
const EXTERNAL_ID = /^[\x21-\x7e]{1,64}$/;

/**
 * CONTRACT 3.2, after source, IP and rate limit: headers, timestamp, token, signature, JSON,
 * schema, idempotency, store, answer, in that order.
 */
export function handleNotify<B>(deps: AppDeps, spec: NotifySpec<B>, tokens: AccessTokenCache): RequestHandler {
  const { writes, clock, outbox, metrics } = deps;
  const ingest = { clock, subscribers: deps.config.subscribers };
  return async (req, res) => {
    const { source, notifyKey } = snapEntryOf(res);
    const symmetric = notifyKey.mode === 'symmetric';
    requireHeaders(req, ['X-TIMESTAMP', 'X-SIGNATURE', 'X-PARTNER-ID', 'X-EXTERNAL-ID', 'CHANNEL-ID', ...(symmetric ? ['Authorization'] : [])]);
    const timestamp = checkTimestamp(req, clock, source.timestampToleranceSeconds);
    const externalId = req.get('X-EXTERNAL-ID') ?? '';
    if (!EXTERNAL_ID.test(externalId)) throw new SnapRejection('invalid_field', 'X-EXTERNAL-ID');

    const accessToken = symmetric ? await validAccessToken(deps, tokens, req.get('Authorization'), source.id) : '';
    const rawBody = rawBodyOf(req);
    const signed = { target: req.originalUrl, rawBody, timestamp, signature: req.get('X-SIGNATURE') ?? '', accessToken };
    const signature = verifyNotifySignature(notifyKey, signed, source.signaturePathPrefix);
    if (!signature) throw new SnapRejection('unauthorized', 'Invalid Signature', 'bad_credentials');
    // Refusals from here on are of a request the provider really sent: keep how it was signed.
    res.locals.signature = signature;

    const parsed = parseBody(rawBody);
    if (!parsed.ok) throw new SnapRejection('bad_request', parsed.reason === 'too_deep' ? `JSON nested deeper than ${MAX_JSON_DEPTH} levels` : 'not JSON');
    const { body, reports } = reportsFrom(spec, parsed.value, source);

    const answer = {
      status: 200,
      body: { responseCode: `200${spec.service}00`, responseMessage: 'Successful', ...spec.successFields?.(body) },
    };
    const inbound = describeRequest(req, clock, spec.channel, source.id, rawBody, signature);
    const key = { sourceId: source.id, channel: spec.channel, externalId, jakartaDay: jakartaDay(clock.now()) };
    // Whitespace and escapes do not make another request: a retry spaced differently is the same one.
    const bodyHash = sha256Hex(JSON.stringify(parsed.value));
    const started = performance.now();
    const given = await writes.run(async (trx) => {
      const claimed = await snapRequestRepository.claim(trx, {
        source_id: key.sourceId,
        channel: key.channel,
        external_id: key.externalId,
        jakarta_day: key.jakartaDay,
        body_hash: bodyHash,
        inbound_id: inbound.id,
        response_status: answer.status,
        response_body: JSON.stringify(answer.body),
        created_at: inbound.receivedAt,
      });
      if (claimed) {
        const stored = await inboundService.storeAcceptedIn(trx, ingest, inbound, reports, {
          status: answer.status,
          body: JSON.stringify(answer.body),
        });
        return { ...answer, stored };
      }
      const first = await snapRequestRepository.find(trx, key);
      if (first.body_hash !== bodyHash) {
        throw new SnapRejection('conflict', 'X-EXTERNAL-ID');
      }
      // The same request again: the first answer again, and nothing new but the record of it.
      const repeated = { status: first.response_status, body: first.response_body };
      await inboundService.storeRepeatIn(trx, inbound, first.inbound_id, `repeat of ${first.inbound_id} (same X-EXTERNAL-ID and body)`, repeated);
      return { status: first.response_status, body: JSON.parse(first.response_body) as Record<string, unknown>, stored: null };
    });
    // Counted and logged only once committed: a failed commit must not report a reversal that is not stored.
    if (given.stored) {
      req.log.info({ inboundId: inbound.id, events: given.stored.createdEventIds, duplicateOf: given.stored.duplicateOf }, 'SNAP notify stored');
      countStored(metrics, req.log, source.id, spec.channel, given.stored, (performance.now() - started) / 1000);
      if (given.stored.createdEventIds.length > 0) outbox.wake();
    } else {
      metrics.inboundRequest(source.id, spec.channel, 'duplicate');
    }
    res.status(given.status).set('X-TIMESTAMP', jakartaTimestamp(clock.now())).json(given.body);
  };
}

/** The Bearer token of a symmetric notify, when it was issued to this source and has not expired. */
async function validAccessToken(deps: AppDeps, tokens: AccessTokenCache, authorization: string | undefined, sourceId: string): Promise<string> {
  const accessToken = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!accessToken) throw new SnapRejection('invalid_token', 'Authorization', 'bad_credentials');
  const now = deps.clock.now();
  const tokenHash = sha256Hex(accessToken);
  let valid = tokens.check(tokenHash, sourceId, now);
  if (valid === null) {
    const expiresAt = await accessTokenRepository.validUntil(deps.db, tokenHash, sourceId, now.toISOString());
    if (expiresAt !== null) tokens.remember(tokenHash, sourceId, new Date(expiresAt));
    valid = expiresAt !== null;
  }
  if (!valid) throw new SnapRejection('invalid_token', 'Authorization', 'bad_credentials');
  return accessToken;
}
