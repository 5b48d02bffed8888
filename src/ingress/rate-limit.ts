import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { MmbcSource, Source } from '../config/config';
import { clientIp } from './client-ip';
import { Rejection } from './rejection';

const WINDOW_MS = 60_000;

/** The source a route has identified, kept on res.locals for the middlewares after it. */
export function sourceOf(res: Response): CallingSource {
  const source = (res.locals as { source?: CallingSource }).source;
  if (!source) throw new Error('rate limit used before the source was identified');
  return source;
}

/** A source that calls the receiver (pull-only sources never do). */
export type CallingSource = Exclude<Source, MmbcSource>;

/**
 * Per-source and per-IP limits (CONTRACT 2), counted in this process's memory. Both answer
 * through the route's own error handler, so every route family keeps its own answer format.
 */
export function createRateLimits(perIpPerMinute: number): RequestHandler[] {
  const rejectLimited: RequestHandler = (_req, _res, next) =>
    next(new Rejection('rate_limited', 'rate limit exceeded'));
  const perSource = rateLimit({
    windowMs: WINDOW_MS,
    limit: (_req: Request, res: Response) => sourceOf(res).rateLimitPerMinute,
    keyGenerator: (_req: Request, res: Response) => `source:${sourceOf(res).id}`,
    standardHeaders: false,
    legacyHeaders: false,
    handler: rejectLimited,
  });
  const perIp = rateLimit({
    windowMs: WINDOW_MS,
    limit: perIpPerMinute,
    // ipKeyGenerator groups an IPv6 client by its /56, the usual allocation to one customer.
    keyGenerator: (req: Request) => `ip:${ipKeyGenerator(clientIp(req))}`,
    standardHeaders: false,
    legacyHeaders: false,
    handler: rejectLimited,
  });
  return [perSource, perIp];
}
