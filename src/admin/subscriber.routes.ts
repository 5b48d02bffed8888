import type { Router } from 'express';
import type { AppDeps } from '../deps';
import { UnknownSubscriberError } from '../delivery/replay.service';
import * as subscriberService from '../delivery/subscriber.service';
import { sendTestEvent } from '../delivery/test-event';
import { NotFoundError } from './admin-errors';
import { parseNoQuery } from './admin-query';
import { toSubscriberView } from './subscriber.view';

/** Subscriber tools: their state and backlog, pause and resume (for every process), a test event. */
export function mountSubscriberRoutes(router: Router, deps: AppDeps): void {
  const { db, clock, config, outbox } = deps;

  router.get('/subscribers', async (req, res) => {
    parseNoQuery(req.query);
    const statuses = await subscriberService.subscriberStatuses(db, config.subscribers);
    // Every configured subscriber, on one page: the list is as long as the configuration.
    res.json({ items: statuses.map(toSubscriberView), nextCursor: null });
  });

  router.post('/subscribers/:id/pause', async (req, res) => {
    const status = await asNotFound(() => subscriberService.pauseSubscriber(db, clock, config.subscribers, req.params.id));
    req.log.warn({ subscriber: status.subscriber.id }, 'subscriber paused');
    res.json(toSubscriberView(status));
  });

  router.post('/subscribers/:id/resume', async (req, res) => {
    const status = await asNotFound(() => subscriberService.resumeSubscriber(db, config.subscribers, req.params.id));
    req.log.info({ subscriber: status.subscriber.id }, 'subscriber resumed');
    // This process sends at once; the others find the deliveries at their next look.
    outbox.wake();
    res.json(toSubscriberView(status));
  });

  router.post('/subscribers/:id/test', async (req, res) => {
    const subscriber = await asNotFound(() => Promise.resolve(subscriberService.findSubscriber(config.subscribers, req.params.id)));
    res.json(await sendTestEvent(subscriber, clock));
  });
}

async function asNotFound<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UnknownSubscriberError) throw new NotFoundError(error.message);
    throw error;
  }
}
