import request from 'supertest';
import type { Clock } from '../../src/clock';
import { PARTNER_ID, providerSigner, snapTimestamp } from './snap';

type App = Parameters<typeof request>[0];

/** Asks for a Bearer token the way a provider does, and answers it. */
export async function issueToken(app: App, clock: Clock): Promise<string> {
  const timestamp = snapTimestamp(clock.now());
  const res = await request(app)
    .post('/v1.0/access-token/b2b')
    .set('X-CLIENT-KEY', PARTNER_ID)
    .set('X-TIMESTAMP', timestamp)
    .set('X-SIGNATURE', providerSigner.accessToken(PARTNER_ID, timestamp))
    .send({ grantType: 'client_credentials' })
    .expect(200);
  return res.body.accessToken as string;
}

export interface NotifyOptions {
  body?: string | object;
  token?: string;
  externalId?: string;
  headers?: Record<string, string | undefined>;
  /** Signs this instead of the body sent (another form of it, or to test tampering). */
  signedBody?: string;
  /** Signs this path instead of the one the request goes to (a proxy in between, or tampering). */
  signedPath?: string;
  signWith?: 'symmetric' | 'asymmetric';
  privateKey?: string;
  secret?: string;
}

/** A notify as a provider sends it: signed over the bytes sent, with every SNAP header. */
export function sendNotify(app: App, clock: Clock, path: string, options: NotifyOptions = {}) {
  const body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body ?? {});
  const timestamp = options.headers?.['X-TIMESTAMP'] ?? snapTimestamp(clock.now());
  const token = options.token ?? '';
  const signed = options.signedBody ?? body;
  const signedPath = options.signedPath ?? path;
  const signature =
    options.signWith === 'asymmetric'
      ? providerSigner.asymmetric(signedPath, signed, timestamp, options.privateKey)
      : providerSigner.symmetric(signedPath, token, signed, timestamp, options.secret);
  const headers: Record<string, string | undefined> = {
    'Content-Type': 'application/json',
    Authorization: `Bearer ${token}`,
    'X-TIMESTAMP': timestamp,
    'X-SIGNATURE': signature,
    'X-PARTNER-ID': PARTNER_ID,
    'X-EXTERNAL-ID': options.externalId ?? '41807553358950093184162180797837',
    'CHANNEL-ID': '95221',
    ...options.headers,
  };
  const req = request(app).post(path);
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) req.set(name, value);
  return req.send(body);
}
