import { type Router } from 'express';
import type { AppDeps } from '../deps';
import * as replayService from '../delivery/replay.service';
import { countReversals } from '../ingress/inbound-metrics';
import * as reprocessService from '../ingress/reprocess.service';
import { ConflictError, InvalidRequestError, NotFoundError } from './admin-errors';
import { parseReplayBody, parseSingleReplayBody } from './admin-query';

/** CONTRACT 6: queue stored events again, one or many, and re-derive events from a stored request. */
export function mountReplayRoutes(router: Router, deps: AppDeps): void {
  const { db, clock, config, outbox, metrics } = deps;

  router.post('/events/:id/replay', async (req, res) => {
    const { subscriberIds, dryRun } = parseSingleReplayBody(req.body);
    const deliveries = await asInvalidRequest(() =>
      replayService.replayEvent(db, clock, config.subscribers, req.params.id, { subscriberIds, dryRun }),
    );
    if (deliveries === undefined) throw new NotFoundError(`no event ${req.params.id}`);
    if (!dryRun) outbox.wake();
    res.status(202).json({ deliveries, ...(dryRun ? { dryRun: true } : {}) });
  });

  router.post('/inbound/:id/reprocess', async (req, res) => {
    let result;
    try {
      result = await reprocessService.reprocessInbound(db, { clock, subscribers: config.subscribers }, config, req.params.id);
    } catch (error) {
      if (error instanceof reprocessService.NotReprocessableError) throw new ConflictError(error.message);
      throw error;
    }
    if (!result) throw new NotFoundError(`no inbound record ${req.params.id}`);
    // A parser fix can reveal a reversal nobody was told about: it needs the same alarm as a live one.
    countReversals(metrics, req.log, result.reversals);
    if (result.createdEventIds.length > 0) outbox.wake();
    res.json({ events: result.createdEventIds, duplicateOf: result.duplicateOf });
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
