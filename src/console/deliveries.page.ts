import type { Router } from 'express';
import { InvalidRequestError } from '../admin/admin-errors';
import { encodeCursor, parseDeliveryQuery } from '../admin/admin-query';
import * as deliveryRepository from '../delivery/delivery.repository';
import type { DeliveryRow } from '../delivery/delivery.table';
import { type ConsoleContext, queryText, showMessage, showPage } from './context';
import * as format from './format';
import { consolePath, noticeText, transactionHref, withNotice, withQuery } from './links';

const PAGE_SIZE = 50;
const STATES = ['dead', 'pending', 'delivered'] as const;
const DELIVERY_ID = /^[A-Za-z0-9_]{1,64}$/;

/**
 * CONTRACT 8 `/console/deliveries?state=dead`: the admin API's deliveries list, and its
 * `POST /admin/deliveries/:id/retry` one by one or for every dead delivery shown.
 */
export function mountDeliveriesPage(router: Router, ctx: ConsoleContext): void {
  const { db, clock, outbox, config } = ctx.deps;
  const subscribers = config.subscribers.map((s) => s.id);

  router.get('/deliveries', async (req, res) => {
    const form = { state: queryText(req, 'state') || 'dead', subscriber: queryText(req, 'subscriber') };
    const cursor = queryText(req, 'cursor');
    let rows: DeliveryRow[] = [];
    let nextCursor: string | undefined;
    let error: string | null = null;
    try {
      const { filter, limit, after } = parseDeliveryQuery(
        withoutEmpty({ state: form.state, subscriber: form.subscriber, cursor, limit: String(PAGE_SIZE) }),
      );
      const found = await deliveryRepository.listDeliveries(db, filter, limit + 1, after);
      rows = found.slice(0, limit);
      const last = rows.at(-1);
      if (found.length > limit && last) nextCursor = encodeCursor({ at: last.created_at, id: last.id });
    } catch (caught) {
      if (!(caught instanceof InvalidRequestError)) throw caught;
      error = `Cannot list: ${caught.message}.`;
    }
    const selfHref = withQuery('/console/deliveries', { ...form, cursor });
    showPage(ctx, res, 'deliveries', {
      title: form.state === 'dead' ? 'Dead deliveries' : `Deliveries: ${form.state}`,
      heading: form.state === 'dead' ? 'Dead deliveries' : `Deliveries: ${form.state}`,
      section: 'deliveries',
      notice: noticeText(queryText(req, 'notice')),
      error,
      form,
      states: STATES,
      subscribers,
      selfHref,
      retryAllIds: rows.filter((row) => row.state === 'dead').map((row) => row.id),
      rows: rows.map((row) => ({
        time: format.time(row.created_at),
        subscriber: row.subscriber_id,
        source: row.source_id,
        reference: row.reference,
        href: transactionHref(row.source_id, row.reference),
        attempts: row.attempts,
        lastError: format.cut(row.last_error, 160),
        retryAction: row.state === 'dead' ? `/console/deliveries/${encodeURIComponent(row.id)}/retry` : null,
        stateNote: row.state === 'pending' ? `next ${format.time(row.next_attempt_at)}` : row.state,
      })),
      firstHref: cursor ? withQuery('/console/deliveries', form) : null,
      nextHref: nextCursor ? withQuery('/console/deliveries', { ...form, cursor: nextCursor }) : null,
    });
  });

  router.post('/deliveries/:id/retry', async (req, res) => {
    const row = await deliveryRepository.findDelivery(db, req.params.id);
    if (!row) {
      showMessage(ctx, res, 404, { title: 'No such delivery', message: `There is no delivery ${req.params.id}.` });
      return;
    }
    const retried = await deliveryRepository.retryDead(db, row.id, clock.now().toISOString());
    if (retried) outbox.wake();
    req.log.info({ deliveryId: row.id, retried }, 'console retry');
    const back = consolePath((req.body as Record<string, unknown> | undefined)?.back, '/console/deliveries?state=dead');
    res.redirect(303, withNotice(back, `retried-${retried ? 1 : 0}-of-1`));
  });

  router.post('/deliveries/retry', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const given = Array.isArray(body.id) ? body.id : [body.id];
    const ids = [...new Set(given.filter((id): id is string => typeof id === 'string' && DELIVERY_ID.test(id)))].slice(0, 500);
    const now = clock.now().toISOString();
    let retried = 0;
    for (const id of ids) if (await deliveryRepository.retryDead(db, id, now)) retried += 1;
    if (retried > 0) outbox.wake();
    req.log.info({ deliveries: ids.length, retried }, 'console retry all shown');
    res.redirect(303, withNotice(consolePath(body.back, '/console/deliveries?state=dead'), `retried-${retried}-of-${ids.length}`));
  });
}

function withoutEmpty(query: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
}
