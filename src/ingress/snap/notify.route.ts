import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import type { ValidateFunction } from 'ajv';
import type { SnapSource } from '../../config/config';
import type { AppDeps } from '../../deps';
import type { Channel, StatusReport } from '../../events/event';
import { countStored } from '../inbound-metrics';
import { describeRequest } from '../inbound-request';
import * as inboundService from '../inbound.service';
import * as accessTokenRepository from './access-token.repository';
import { checkTimestamp, rawBodyOf, requireHeaders, snapEntryOf } from './snap-checks';
import { asymmetricStringToSign, minifiedBody, sha256Hex, symmetricStringToSign, verifyHmacSha512, verifyRsaSha256 } from './snap-crypto';
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

const EXTERNAL_ID = /^[A-Za-z0-9-]{1,36}$/;

/**
 * CONTRACT 3.2, after source, IP and rate limit: headers, timestamp, token, signature, JSON,
 * schema, idempotency, store, answer, in that order.
 */
export function handleNotify<B>(deps: AppDeps, spec: NotifySpec<B>): RequestHandler {
  const { db, clock, outbox, metrics } = deps;
  const ingest = { clock, subscribers: deps.config.subscribers };
  return async (req, res) => {
    const { source, publicKey } = snapEntryOf(res);
    const symmetric = source.signature === 'symmetric';
    requireHeaders(req, ['X-TIMESTAMP', 'X-SIGNATURE', 'X-PARTNER-ID', 'X-EXTERNAL-ID', 'CHANNEL-ID', ...(symmetric ? ['Authorization'] : [])]);
    const timestamp = checkTimestamp(req, clock, source.timestampToleranceSeconds);
    const externalId = req.get('X-EXTERNAL-ID') ?? '';
    if (!EXTERNAL_ID.test(externalId)) throw new SnapRejection('invalid_field', 'X-EXTERNAL-ID');

    const rawBody = rawBodyOf(req);
    const signature = req.get('X-SIGNATURE') ?? '';
    if (symmetric) {
      const accessToken = /^Bearer (\S+)$/.exec(req.get('Authorization') ?? '')?.[1];
      const now = clock.now().toISOString();
      if (!accessToken || !(await accessTokenRepository.isValid(db, sha256Hex(accessToken), source.id, now))) {
        throw new SnapRejection('invalid_token', 'Authorization', 'bad_credentials');
      }
      const stringToSign = symmetricStringToSign(req.originalUrl, accessToken, rawBody, timestamp);
      if (!verifyHmacSha512(source.clientSecret ?? '', stringToSign, signature)) throw invalidSignature();
    } else if (!verifyRsaSha256(publicKey, asymmetricStringToSign(req.originalUrl, rawBody, timestamp), signature)) {
      throw invalidSignature();
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch {
      throw new SnapRejection('bad_request', 'body');
    }
    const { body, reports } = reportsFrom(spec, parsed, source);

    const answer = {
      status: 200,
      body: { responseCode: `200${spec.service}00`, responseMessage: 'Successful', ...spec.successFields?.(body) },
    };
    const inbound = describeRequest(req, clock, spec.channel, source.id, rawBody);
    const key = { sourceId: source.id, externalId, jakartaDay: jakartaDay(clock.now()) };
    const bodyHash = sha256Hex(minifiedBody(rawBody));
    const started = performance.now();
    const given = await db.transaction().execute(async (trx) => {
      const claimed = await snapRequestRepository.claim(trx, {
        source_id: key.sourceId,
        external_id: key.externalId,
        jakarta_day: key.jakartaDay,
        channel: spec.channel,
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
        req.log.info({ inboundId: inbound.id, events: stored.createdEventIds, duplicateOf: stored.duplicateOf }, 'SNAP notify stored');
        countStored(metrics, source.id, spec.channel, stored, (performance.now() - started) / 1000);
        return answer;
      }
      const first = await snapRequestRepository.find(trx, key);
      if (first.body_hash !== bodyHash || first.channel !== spec.channel) {
        throw new SnapRejection('conflict', 'X-EXTERNAL-ID');
      }
      // The same request again: the first answer again, and nothing new but the record of it.
      const repeated = { status: first.response_status, body: first.response_body };
      await inboundService.storeRepeatIn(trx, inbound, `repeat of ${first.inbound_id} (same X-EXTERNAL-ID and body)`, repeated);
      metrics.inboundRequest(source.id, spec.channel, 'duplicate');
      return { status: first.response_status, body: JSON.parse(first.response_body) as Record<string, unknown> };
    });
    outbox.wake();
    res.status(given.status).set('X-TIMESTAMP', jakartaTimestamp(clock.now())).json(given.body);
  };
}

function invalidSignature(): SnapRejection {
  return new SnapRejection('unauthorized', 'Invalid Signature', 'bad_credentials');
}
