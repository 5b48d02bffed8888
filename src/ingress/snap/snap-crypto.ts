import { type KeyObject, createHash, createHmac, timingSafeEqual, verify } from 'node:crypto';

/**
 * SNAP hashes the minified body, so whitespace from the provider must not matter. A body that is
 * not JSON is hashed as it came, so that a correctly signed one reaches the "Bad Request" check.
 */
export function minifiedBody(rawBody: string): string {
  try {
    return JSON.stringify(JSON.parse(rawBody));
  } catch {
    return rawBody;
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `clientId|X-TIMESTAMP`, signed SHA256withRSA by the provider for an access token. */
export function accessTokenStringToSign(clientId: string, timestamp: string): string {
  return `${clientId}|${timestamp}`;
}

/** `POST:path:accessToken:hex(sha256(minify(body))):X-TIMESTAMP`, HMAC-SHA512 with clientSecret. */
export function symmetricStringToSign(path: string, accessToken: string, rawBody: string, timestamp: string): string {
  return `POST:${path}:${accessToken}:${sha256Hex(minifiedBody(rawBody))}:${timestamp}`;
}

/** `POST:path:hex(sha256(minify(body))):X-TIMESTAMP`, SHA256withRSA with the provider's key. */
export function asymmetricStringToSign(path: string, rawBody: string, timestamp: string): string {
  return `POST:${path}:${sha256Hex(minifiedBody(rawBody))}:${timestamp}`;
}

export function verifyRsaSha256(publicKey: KeyObject, stringToSign: string, signatureBase64: string): boolean {
  const signature = Buffer.from(signatureBase64, 'base64');
  if (signature.length === 0) return false;
  try {
    return verify('sha256', Buffer.from(stringToSign, 'utf8'), publicKey, signature);
  } catch {
    return false;
  }
}

export function hmacSha512Base64(secret: string, stringToSign: string): string {
  return createHmac('sha512', secret).update(stringToSign, 'utf8').digest('base64');
}

/** Constant-time: both sides are 64-byte HMACs, so only a malformed signature differs in length. */
export function verifyHmacSha512(secret: string, stringToSign: string, signatureBase64: string): boolean {
  const expected = createHmac('sha512', secret).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(signatureBase64, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
