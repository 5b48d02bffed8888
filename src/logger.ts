import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
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

export interface RequestLoggingOptions {
  /** Query parameters whose values may be logged; when given, every other value is `[REDACTED]`. */
  readonly knownQuery?: ReadonlySet<string>;
}

/** One log line per request with a request id, echoed in `X-Request-Id`; secrets never logged. */
export function requestLogging(logger: Logger, options: RequestLoggingOptions = {}): HttpLogger {
  const { knownQuery } = options;
  return pinoHttp({
    logger,
    // Log lines written inside a request carry its id, not the whole request again.
    quietReqLogger: true,
    // The request is described when the response ends, not when it starts: only then does the
    // router know which part of the URL was a token (bound at the start, it would log it as sent).
    quietResLogger: true,
    customSuccessObject: (req, _res, loggable: object) => ({ req, ...loggable }),
    customErrorObject: (req, _res, _error, loggable: object) => ({ req, ...loggable }),
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel(_req, res, error) {
      if (error || res.statusCode >= 500) return 'error';
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
    serializers: {
      req(req: { id: unknown; method: string; url: string; headers: Record<string, string>; remoteAddress?: string; raw: IncomingMessage }) {
        const url = redactRequestUrl(req.raw, req.url);
        return {
          id: req.id,
          method: req.method,
          url: knownQuery ? redactQuery(url, knownQuery) : url,
          headers: redactHeaders(req.headers),
          remoteAddress: req.remoteAddress,
        };
      },
      res(res: { statusCode: number }) {
        return { statusCode: res.statusCode };
      },
    },
  });
}
