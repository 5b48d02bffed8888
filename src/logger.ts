import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config, LogLevel } from './config/config';
import { redactDatabaseUrl } from './db/database-url';
import { REDACTED, redactHeaders, redactQuery, redactRequestUrl } from './ingress/redact';

/** Where log lines go: standard output, or a test's stand-in for it. */
export interface LogOutput {
  readonly isTTY?: boolean;
  write(line: string): unknown;
}

/**
 * JSON lines with ISO times for whatever collects them; readable lines for a person at a
 * terminal, when pino-pretty is installed (a development dependency: a production install
 * without it still logs JSON, on a terminal too).
 */
export function createLogger(level: LogLevel, output: LogOutput = process.stdout): Logger {
  const options: LoggerOptions = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Belt and braces: the request serializer below already drops these.
    redact: { paths: ['req.headers.authorization', 'req.headers["x-signature"]', 'req.headers.cookie'], censor: REDACTED },
  };
  const pretty = output.isTTY === true ? prettyOutput(output) : null;
  if (pretty) return pino(options, pretty);
  // pino's own standard output writer is the fast one; another output is written to as given.
  return output === process.stdout ? pino(options) : pino(options, output);
}

function prettyOutput(output: LogOutput): DestinationStream | null {
  let prettyFactory: typeof import('pino-pretty').prettyFactory;
  try {
    // Loaded on demand: production installs leave development dependencies out.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ prettyFactory } = require('pino-pretty') as typeof import('pino-pretty'));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
  const pretty = prettyFactory({ translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', ignore: 'pid,hostname' });
  // Formatted and written in the caller's turn, so a line logged just before process.exit() is not lost.
  return { write: (line: string) => void output.write(pretty(line)) };
}

/**
 * What the start line says about where this process runs and what it reads: the config file,
 * the database without its password, and both listeners.
 */
export function startFields(config: Pick<Config, 'configFile' | 'databaseUrl' | 'host' | 'adminHost'>, ports: { publicPort: number; adminPort: number }) {
  return {
    configFile: config.configFile,
    database: redactDatabaseUrl(config.databaseUrl),
    host: config.host,
    publicPort: ports.publicPort,
    adminHost: config.adminHost,
    adminPort: ports.adminPort,
  };
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
          url: maskPersonalQuery(knownQuery ? redactQuery(url, knownQuery) : url),
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

// A Biller reversal's query names the customer: `dest` is their phone number and `message`
// repeats it (`Transaksi s5.0812… SUKSES`). The stored inbound record keeps both for
// re-processing; a log line, read by more people and kept elsewhere, does not need them.
const PERSONAL_QUERY: ReadonlySet<string> = new Set(['dest', 'message']);

/** Hides the values of the query parameters that carry a customer's personal data. */
export function maskPersonalQuery(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return url;
  const params = url.slice(queryAt + 1).split('&');
  let masked = false;
  for (let i = 0; i < params.length; i++) {
    const param = params[i] ?? '';
    const equals = param.indexOf('=');
    if (equals === -1 || !isPersonal(param.slice(0, equals))) continue;
    params[i] = `${param.slice(0, equals)}=${REDACTED}`;
    masked = true;
  }
  return masked ? `${url.slice(0, queryAt + 1)}${params.join('&')}` : url;
}

// The router reads `d%65st` as `dest`; names as providers send them need no decoding.
function isPersonal(name: string): boolean {
  if (PERSONAL_QUERY.has(name)) return true;
  if (!/[%+A-Z]/.test(name)) return false;
  let decoded = name.replace(/\+/g, ' ');
  try {
    decoded = decodeURIComponent(decoded);
  } catch {
    // Not valid percent-encoding: compared as sent.
  }
  return PERSONAL_QUERY.has(decoded.toLowerCase());
}
