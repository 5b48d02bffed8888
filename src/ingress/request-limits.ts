import type { Request, RequestHandler, Response } from 'express';
import { Rejection } from './rejection';

/** Bodies over this are refused on every public route (CONTRACT 3). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** How much of a refused request's body is kept: enough to see what it was, too little to fill a disk. */
export const KEPT_BODY_BYTES = 4096;
/** After a refusal, the rest of a body is read and dropped up to this, so the answer reaches the caller. */
const MAX_DRAINED_BYTES = 16 * MAX_BODY_BYTES;

/**
 * A route serves one method; anything else, HEAD included, is 405 with `Allow` (express would let
 * HEAD run a GET route and store an event).
 */
export function onlyMethod(method: 'GET' | 'POST'): RequestHandler {
  return (req, res, next) => {
    if (req.method !== method) {
      res.setHeader('Allow', method);
      throw new Rejection('method_not_allowed', `method ${req.method.slice(0, 16)} not allowed`);
    }
    next();
  };
}

/** A declared body over the limit is refused before any other check, keeping its first 4 KiB. */
export const refuseDeclaredOversize: RequestHandler = async (req, res, next) => {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    const { bytes } = await readBody(req, KEPT_BODY_BYTES);
    keepBodyPrefix(res, bytes);
    throw tooLarge(declared);
  }
  next();
};

/**
 * Reads the body as the exact bytes sent (no decoding, no inflating: signatures cover the bytes)
 * into `req.body`. Runs after the header-only checks, so an unknown caller cannot make us read a
 * megabyte; a streamed body that passes the limit is refused like a declared one.
 */
export const readRawBody: RequestHandler = async (req, res, next) => {
  const { bytes, complete } = await readBody(req, MAX_BODY_BYTES);
  if (!complete) {
    keepBodyPrefix(res, bytes);
    throw tooLarge(null);
  }
  req.body = bytes;
  next();
};

/** The body bytes to keep on a refused request's record: at most the first 4 KiB, or null. */
export function keptBodyOf(req: Request, res: Response): Buffer | null {
  const prefix = (res.locals as { bodyPrefix?: Buffer }).bodyPrefix;
  const body = Buffer.isBuffer(req.body) ? req.body : prefix;
  if (!body || body.length === 0) return null;
  return body.subarray(0, KEPT_BODY_BYTES);
}

function keepBodyPrefix(res: Response, bytes: Buffer): void {
  res.locals.bodyPrefix = bytes.subarray(0, KEPT_BODY_BYTES);
}

function tooLarge(declared: number | null): Rejection {
  return new Rejection('too_large', declared === null ? `body over ${MAX_BODY_BYTES} bytes` : `declared body of ${declared} bytes`);
}

/**
 * Reads up to `limit` bytes. When the body is longer, it answers what it has with
 * `complete: false` and drops the rest as it arrives (up to a bound), so that the caller, still
 * sending, reads our answer instead of a reset connection.
 */
function readBody(req: Request, limit: number): Promise<{ bytes: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length > limit) {
        cleanup();
        drain(req, length);
        resolve({ bytes: Buffer.concat(chunks).subarray(0, limit), complete: false });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ bytes: Buffer.concat(chunks, length), complete: true });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function drain(req: Request, alreadyRead: number): void {
  let drained = alreadyRead;
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAINED_BYTES) {
      req.off('data', onData);
      req.socket.destroy();
    }
  };
  req.on('data', onData);
  req.on('error', () => undefined);
}
