import { type KeyObject, createHmac, timingSafeEqual, verify } from 'node:crypto';
import { type BodyForm, bodyDigests } from './body-forms';

/** How a source proves its notifies (CONTRACT 3.2). */
export type NotifyKey =
  | { readonly mode: 'symmetric'; readonly clientSecret: string }
  | { readonly mode: 'asymmetric'; readonly publicKey: KeyObject };

/** A notify's signed parts, as received. */
export interface SignedNotify {
  /** The request target as received: undecoded path with its query string. */
  readonly target: string;
  readonly rawBody: Buffer;
  readonly timestamp: string;
  /** The X-SIGNATURE header. */
  readonly signature: string;
  /** The Bearer token (symmetric only). */
  readonly accessToken: string;
}

/** Which form of the body and which path the provider signed. */
export interface SignatureMatch {
  readonly form: BodyForm;
  readonly path: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard base64 with padding, spelled the one way it encodes (RFC 4648 section 4): node's
 * decoder also takes URL-safe letters, missing padding, trailing junk and non-zero pad bits,
 * which would let many spellings of one signature through.
 */
export function decodeCanonicalBase64(text: string): Buffer | null {
  if (text.length === 0 || !BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

/** `clientId|X-TIMESTAMP`, signed SHA256withRSA by the provider for an access token. */
export function accessTokenStringToSign(clientId: string, timestamp: string): string {
  return `${clientId}|${timestamp}`;
}

/** `POST:path:accessToken:hex(sha256(body)):X-TIMESTAMP`, HMAC-SHA512 with clientSecret. */
export function symmetricStringToSign(path: string, accessToken: string, bodySha256Hex: string, timestamp: string): string {
  return `POST:${path}:${accessToken}:${bodySha256Hex}:${timestamp}`;
}

/** `POST:path:hex(sha256(body)):X-TIMESTAMP`, SHA256withRSA with the provider's key. */
export function asymmetricStringToSign(path: string, bodySha256Hex: string, timestamp: string): string {
  return `POST:${path}:${bodySha256Hex}:${timestamp}`;
}

/**
 * The paths a provider may have signed, in the order CONTRACT 3.2 tries them: as received, without
 * the query string, then both behind the source's `signaturePathPrefix` (a proxy in front stripped it).
 */
export function candidatePaths(target: string, prefix: string | null): string[] {
  const path = pathOfTarget(target);
  const query = path.indexOf('?');
  const received = query === -1 ? [path] : [path, path.slice(0, query)];
  const all = prefix ? [...received, ...received.map((p) => `${prefix}${p}`)] : received;
  return [...new Set(all)];
}

/** An absolute-form target (`http://host/path?q`) signs as its path and query. */
function pathOfTarget(target: string): string {
  if (target.startsWith('/')) return target;
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(.*)$/.exec(target);
  const rest = match?.[1] ?? target;
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * Verifies a notify's signature against every accepted form of its body and path with the
 * source's own key; answers the first match, or null. Each comparison is constant-time.
 */
export function verifyNotifySignature(key: NotifyKey, notify: SignedNotify, pathPrefix: string | null): SignatureMatch | null {
  const signature = decodeCanonicalBase64(notify.signature);
  if (!signature) return null;
  const paths = candidatePaths(notify.target, pathPrefix);
  for (const digest of bodyDigests(notify.rawBody)) {
    for (const path of paths) {
      const matched =
        key.mode === 'symmetric'
          ? hmacMatches(key.clientSecret, symmetricStringToSign(path, notify.accessToken, digest.sha256Hex, notify.timestamp), signature)
          : rsaMatches(key.publicKey, asymmetricStringToSign(path, digest.sha256Hex, notify.timestamp), signature);
      if (matched) return { form: digest.form, path };
    }
  }
  return null;
}

export function verifyRsaSha256(publicKey: KeyObject, stringToSign: string, signatureBase64: string): boolean {
  const signature = decodeCanonicalBase64(signatureBase64);
  return signature !== null && rsaMatches(publicKey, stringToSign, signature);
}

function rsaMatches(publicKey: KeyObject, stringToSign: string, signature: Buffer): boolean {
  try {
    return verify('sha256', Buffer.from(stringToSign, 'utf8'), publicKey, signature);
  } catch {
    return false;
  }
}

/** Both sides are 64-byte HMACs, so only a malformed signature differs in length. */
function hmacMatches(secret: string, stringToSign: string, signature: Buffer): boolean {
  const expected = createHmac('sha512', secret).update(stringToSign, 'utf8').digest();
  return signature.length === expected.length && timingSafeEqual(signature, expected);
}

export function hmacSha512Base64(secret: string, stringToSign: string): string {
  return createHmac('sha512', secret).update(stringToSign, 'utf8').digest('base64');
}
