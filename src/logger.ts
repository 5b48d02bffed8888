import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/config';
import { redactHeaders, redactQuery, redactRequestUrl } from './ingress/redact';

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    // Belt and braces: the request serializer below already drops these.
    redact: { paths: ['req.headers.authorization', 'req.headers["x-signature"]', 'req.headers.cookie'], censor: '[REDACTED]' },
  });
}

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'http' {
  interface IncomingMessage {
    /** The request id, echoed in `X-Request-Id`. */
    id: string;
    /** The root logger with this request's id bound; made on first use. */
    log: Logger;
  }
}

export interface RequestLoggingOptions {
  /** Query parameters whose values may be logged; when given, every other value is `[REDACTED]`. */
  readonly knownQuery?: ReadonlySet<string>;
}

/**
 * One log line per request, when it ends, with a request id echoed in `X-Request-Id`; secrets
 * never logged. Cheap when nothing is written: the child logger is made only when a handler
 * logs, and the line is described only when its level is enabled (a 200 at LOG_LEVEL=warn costs
 * one header and one listener).
 */
export function requestLogging(logger: Logger, options: RequestLoggingOptions = {}): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const { knownQuery } = options;
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    req.id = id;
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { get: () => (child ??= logger.child({ reqId: id })), configurable: true });
    const started = performance.now();
    res.once('finish', () => {
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      // Described at the end, not the start: only then does the router know which part of the URL was a token.
      const url = redactRequestUrl(req, (req as { originalUrl?: string }).originalUrl ?? req.url ?? '');
      const line = {
        req: {
          id,
          method: req.method,
          url: knownQuery ? redactQuery(url, knownQuery) : url,
          headers: redactHeaders(req.headers),
          remoteAddress: req.socket.remoteAddress,
        },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
      };
      req.log[level](line, level === 'error' ? 'request errored' : 'request completed');
    });
    next();
  };
}
