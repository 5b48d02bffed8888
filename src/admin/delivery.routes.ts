import type { Router } from 'express';
import * as deliveryRepository from '../delivery/delivery.repository';
import type { AppDeps } from '../deps';
import { ConflictError, NotFoundError } from './admin-errors';
import { encodeCursor, parseDeliveryQuery } from './admin-query';
import { toDeliveryView } from './delivery.view';

/** CONTRACT 6: deliveries, their attempts, and a second chance for a dead one. */
export function mountDeliveryRoutes(router: Router, deps: AppDeps): void {
  const { db, clock, outbox } = deps;

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
