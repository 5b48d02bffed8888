import type { Router } from 'express';
import type { AppDeps } from '../deps';
import * as watchRepository from '../polling/watch.repository';
import { WatchConflictError, WatchRequestError, registerWatch, toPollView, toWatchView } from '../polling/watch.service';
import { ConflictError, InvalidRequestError, NotFoundError } from './admin-errors';
import { encodeCursor, parseWatchBody, parseWatchQuery } from './admin-query';

/** CONTRACT 7: watches on the pull-only providers. */
export function mountWatchRoutes(router: Router, deps: AppDeps): void {
  const { db, clock, config } = deps;

  router.post('/watches', async (req, res) => {
    const body = parseWatchBody(req.body);
    try {
      const { created, watch } = await registerWatch(db, config, clock, body);
      if (created) req.log.info({ watchId: watch.id, source: watch.source_id, invoice: watch.invoice }, 'watch registered');
      res.status(created ? 201 : 200).json(toWatchView(watch));
    } catch (error) {
      if (error instanceof WatchRequestError) throw new InvalidRequestError(error.message);
      if (error instanceof WatchConflictError) throw new ConflictError(error.message);
      throw error;
    }
  });

  router.get('/watches', async (req, res) => {
    const { filter, limit, after } = parseWatchQuery(req.query);
    const rows = await watchRepository.listWatches(db, filter, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    res.json({
      items: items.map(toWatchView),
      nextCursor: rows.length > limit && last ? encodeCursor({ at: last.created_at, id: last.id }) : null,
    });
  });

  router.get('/watches/:id', async (req, res) => {
    const row = await watchRepository.findWatch(db, req.params.id);
    if (!row) throw new NotFoundError(`no watch ${req.params.id}`);
    const polls = await watchRepository.listPolls(db, row.id);
    res.json({ ...toWatchView(row), polls: polls.map(toPollView) });
  });

  router.delete('/watches/:id', async (req, res) => {
    const row = await watchRepository.findWatch(db, req.params.id);
    if (!row) throw new NotFoundError(`no watch ${req.params.id}`);
    const canceledNow = row.state === 'active' && (await watchRepository.cancelWatch(db, row.id, clock.now().toISOString()));
    // Read again: another cancel, or the poller ending the watch, may have come in between.
    const after = (await watchRepository.findWatch(db, row.id)) ?? row;
    if (after.state !== 'canceled') throw new ConflictError(`watch ${row.id} is ${after.state}: only an active watch can be canceled`);
    if (canceledNow) req.log.info({ watchId: row.id }, 'watch canceled');
    res.json(toWatchView(after));
  });
}
