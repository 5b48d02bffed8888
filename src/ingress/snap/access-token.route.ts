import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { AppDeps } from '../../deps';
import { describeRequest } from '../inbound-request';
import * as inboundService from '../inbound.service';
import type { AccessTokenCache } from './access-token-cache';
import * as accessTokenRepository from './access-token.repository';
import { checkTimestamp, rawBodyOf, requireHeaders, snapEntryOf } from './snap-checks';
import { MAX_JSON_DEPTH, parseBody, sha256Hex } from './body-forms';
import { accessTokenStringToSign, verifyRsaSha256 } from './snap-crypto';
import { SnapRejection } from './snap-rejection';
import { jakartaTimestamp } from './snap-time';

export const ACCESS_TOKEN_PATH = '/v1.0/access-token/b2b';
export const ACCESS_TOKEN_SERVICE = '73';

/**
 * `POST /v1.0/access-token/b2b` after source, IP and rate limit: the provider proves its key by
 * signing `clientId|X-TIMESTAMP`, and gets an opaque token we keep only as a hash.
 */
export function issueAccessToken(deps: AppDeps, tokens: AccessTokenCache): RequestHandler {
  const { writes, clock } = deps;
  return async (req, res) => {
    const { source, publicKey } = snapEntryOf(res);
    requireHeaders(req, ['X-TIMESTAMP', 'X-SIGNATURE', 'X-CLIENT-KEY']);
    const timestamp = checkTimestamp(req, clock, source.timestampToleranceSeconds);
    const stringToSign = accessTokenStringToSign(req.get('X-CLIENT-KEY') ?? '', timestamp);
    if (!verifyRsaSha256(publicKey, stringToSign, req.get('X-SIGNATURE') ?? '')) {
      throw new SnapRejection('unauthorized', 'Invalid Signature', 'bad_credentials');
    }
    checkGrantType(rawBodyOf(req));

    const accessToken = randomBytes(32).toString('base64url');
    const now = clock.now();
    const ttl = source.accessTokenTtlSeconds;
    const body = { responseCode: `200${ACCESS_TOKEN_SERVICE}00`, responseMessage: 'Successful', accessToken, tokenType: 'Bearer', expiresIn: String(ttl) };
    const inbound = describeRequest(req, clock, 'snap.access-token', source.id, rawBodyOf(req));
    // The stored answer must not hand out a working token to whoever reads the database.
    const kept = { status: 200, body: JSON.stringify({ ...body, accessToken: '[REDACTED]' }) };
    const tokenHash = sha256Hex(accessToken);
    const expiresAt = new Date(now.getTime() + ttl * 1000);
    await writes.run(async (trx) => {
      await accessTokenRepository.insertToken(trx, {
        token_hash: tokenHash,
        source_id: source.id,
        issued_at: now.toISOString(),
        expires_at: expiresAt.toISOString(),
      });
      await inboundService.storeAcceptedIn(trx, { clock, subscribers: [] }, inbound, [], kept);
    });
    // Only once committed: a token the store does not hold must not work here either.
    tokens.remember(tokenHash, source.id, expiresAt);
    deps.metrics.inboundRequest(source.id, 'snap.access-token', 'accepted');
    res.status(200).set('X-TIMESTAMP', jakartaTimestamp(clock.now())).json(body);
  };
}

/** `{"grantType":"client_credentials"}`; `grant_type` too, as some provider SDKs send it. */
function checkGrantType(rawBody: Buffer): void {
  const parsed = parseBody(rawBody);
  if (!parsed.ok) throw new SnapRejection('bad_request', parsed.reason === 'too_deep' ? `JSON nested deeper than ${MAX_JSON_DEPTH} levels` : 'not JSON');
  const body = parsed.value;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SnapRejection('bad_request', 'not a JSON object');
  const record = body as Record<string, unknown>;
  const grantType = record.grantType ?? record.grant_type;
  if (grantType === undefined || grantType === '') throw new SnapRejection('missing_field', 'grantType');
  if (grantType !== 'client_credentials') throw new SnapRejection('invalid_field', 'grantType');
}
