import { type Router } from 'express';
import type { AppDeps } from '../deps';
import * as replayService from '../delivery/replay.service';
import { InvalidRequestError, NotFoundError } from './admin-errors';
import { parseReplayBody } from './admin-query';

/** CONTRACT 6: queue stored events again, one or many. */
export function mountReplayRoutes(router: Router, deps: AppDeps): void {
  const { db, clock, config, outbox } = deps;

  router.post('/events/:id/replay', async (req, res) => {
    const { subscriberIds } = parseReplayBody(req.body);
    const deliveries = await asInvalidRequest(() => replayService.replayEvent(db, clock, config.subscribers, req.params.id, subscriberIds));
    if (deliveries === undefined) throw new NotFoundError(`no event ${req.params.id}`);
    outbox.wake();
    res.status(202).json({ deliveries });
  });

  router.post('/replay', async (req, res) => {
    const { filter, subscriberIds, dryRun } = parseReplayBody(req.body);
    const counts = await asInvalidRequest(() =>
      replayService.replayEvents(db, clock, config.subscribers, filter, { subscriberIds, dryRun }),
    );
    if (!dryRun) outbox.wake();
    res.status(202).json({ ...counts, ...(dryRun ? { dryRun: true } : {}) });
  });
}

async function asInvalidRequest<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof replayService.UnknownSubscriberError) throw new InvalidRequestError(error.message);
    throw error;
  }
}
