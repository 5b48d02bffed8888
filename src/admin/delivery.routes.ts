import type { Router } from 'express';
import * as deliveryRepository from '../delivery/delivery.repository';
import * as redriveService from '../delivery/redrive.service';
import { UnknownSubscriberError } from '../delivery/replay.service';
import type { AppDeps } from '../deps';
import { ConflictError, InvalidRequestError, NotFoundError } from './admin-errors';
import { encodeCursor, parseDeliveryQuery, parseRedriveBody } from './admin-query';
import { toDeliveryView } from './delivery.view';

/** CONTRACT 6: deliveries, their attempts, and a second chance for dead ones, one or many. */
export function mountDeliveryRoutes(router: Router, deps: AppDeps): void {
  const { db, clock, config, outbox } = deps;

  router.post('/deliveries/retry', async (req, res) => {
    const { filter, dryRun } = parseRedriveBody(req.body);
    let deliveries: number;
    try {
      deliveries = await redriveService.retryDeadDeliveries(db, clock, config.subscribers, filter, { dryRun });
    } catch (error) {
      if (error instanceof redriveService.AmbiguousRedriveError || error instanceof UnknownSubscriberError) {
        throw new InvalidRequestError(error.message);
      }
      throw error;
    }
    if (!dryRun && deliveries > 0) {
      req.log.info({ ...filter, deliveries }, 'dead deliveries retried');
      outbox.wake();
    }
    res.status(202).json({ deliveries, dryRun });
  });

  router.get('/deliveries', async (req, res) => {
    const { filter, limit, after } = parseDeliveryQuery(req.query);
    const rows = await deliveryRepository.listDeliveries(db, filter, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    res.json({
      items: items.map((d) => toDeliveryView(d)),
      nextCursor: rows.length > limit && last ? encodeCursor({ at: last.created_at, id: last.id }) : null,
    });
  });

  router.get('/deliveries/:id', async (req, res) => {
    const row = await deliveryRepository.findDelivery(db, req.params.id);
    if (!row) throw new NotFoundError(`no delivery ${req.params.id}`);
    res.json(toDeliveryView(row, await deliveryRepository.listAttempts(db, [row.id])));
  });

  router.post('/deliveries/:id/retry', async (req, res) => {
    const row = await deliveryRepository.findDelivery(db, req.params.id);
    if (!row) throw new NotFoundError(`no delivery ${req.params.id}`);
    if (!(await deliveryRepository.retryDead(db, row.id, clock.now().toISOString()))) {
      throw new ConflictError(`delivery ${row.id} is ${row.state}, not dead`);
    }
    outbox.wake();
    res.status(202).json({ id: row.id, state: 'pending' });
  });
}
