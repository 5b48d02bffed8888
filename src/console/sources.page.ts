import type { Router } from 'express';
import { redactUrl } from '../admin/subscriber.view';
import * as subscriberService from '../delivery/subscriber.service';
import * as inboundRepository from '../ingress/inbound.repository';
import { isMmbcSource } from '../config/config';
import { UnknownSubscriberError } from '../delivery/replay.service';
import { type ConsoleContext, queryText, showMessage, showPage } from './context';
import * as format from './format';
import { noticeText, withNotice, withQuery } from './links';

const HOUR_MS = 60 * 60 * 1000;
/** A subscriber whose oldest pending delivery waits longer than this is falling behind. */
const BACKLOG_ALARM_MS = 5 * 60 * 1000;

/** CONTRACT 8 `/console/sources`: each configured source and subscriber, and how it is doing. */
export function mountSourcesPage(router: Router, ctx: ConsoleContext): void {
  const { db, clock, config, outbox } = ctx.deps;

  router.get('/sources', async (req, res) => {
    const now = clock.now();
    const since = new Date(now.getTime() - HOUR_MS).toISOString();
    const sources = [];
    for (const source of config.sources) {
      const activity = await inboundRepository.sourceActivity(db, source.id, since);
      sources.push({ id: source.id, type: source.type, href: withQuery('/console', { source: source.id }), ...sourceHealth(activity, now, isMmbcSource(source)) });
    }
    // Requests naming no known source, or from an address no source allows: often the first sign
    // of a provider calling from a new address.
    const unknown = await inboundRepository.sourceActivity(db, null, since);
    if (unknown.counts.rejected > 0) {
      sources.push({ id: '(unknown callers)', type: 'none', href: '/console/sources', ...sourceHealth(unknown, now), health: 'failing', healthText: 'Refused: no source allows them' });
    }

    const statuses = await subscriberService.subscriberStatuses(db, config.subscribers);
    const subscribers = statuses.map((status) => subscriberRow(status, now));
    showPage(ctx, res, 'sources', {
      title: 'Sources',
      section: 'sources',
      notice: noticeText(queryText(req, 'notice')),
      now: format.time(now.toISOString()),
      sources,
      subscribers,
    });
  });

  // The admin API's pause and resume (POST /admin/subscribers/:id/pause, /resume).
  router.post('/subscribers/:id/:action', async (req, res) => {
    const { id, action } = req.params;
    if (action !== 'pause' && action !== 'resume') {
      showMessage(ctx, res, 404, { title: 'Not found', message: 'The console has no such page.' });
      return;
    }
    try {
      if (action === 'pause') await subscriberService.pauseSubscriber(db, clock, config.subscribers, id);
      else await subscriberService.resumeSubscriber(db, config.subscribers, id);
    } catch (error) {
      if (!(error instanceof UnknownSubscriberError)) throw error;
      showMessage(ctx, res, 404, { title: 'No such subscriber', message: `No subscriber ${id} is configured.`, back: '/console/sources', backLabel: 'Back to the sources' });
      return;
    }
    if (action === 'resume') outbox.wake();
    req.log[action === 'pause' ? 'warn' : 'info']({ subscriber: id }, action === 'pause' ? 'subscriber paused' : 'subscriber resumed');
    res.redirect(303, withNotice('/console/sources', action === 'pause' ? 'paused' : 'resumed'));
  });
}

function subscriberRow({ subscriber, pausedAt, backlog }: subscriberService.SubscriberStatus, now: Date) {
  const oldest = backlog.oldestPendingAt;
  const waited = oldest ? now.getTime() - new Date(oldest).getTime() : 0;
  const [health, healthText] =
    pausedAt !== null
      ? ['quiet', 'Paused']
      : waited > BACKLOG_ALARM_MS
        ? ['backlog', `Behind by ${format.age(oldest, now)}`]
        : backlog.dead > 0
          ? ['failing', `${backlog.dead} dead`]
          : ['ok', 'Keeping up'];
  const action = pausedAt === null ? 'pause' : 'resume';
  return {
    id: subscriber.id,
    url: redactUrl(subscriber.url),
    health,
    healthText,
    pending: backlog.pending,
    oldestPending: oldest ? `${format.age(oldest, now)} ago` : '',
    dead: backlog.dead,
    deadHref: withQuery('/console/deliveries', { state: 'dead', subscriber: subscriber.id }),
    paused: pausedAt === null ? 'no' : `since ${format.time(pausedAt)}`,
    toggleAction: `/console/subscribers/${encodeURIComponent(subscriber.id)}/${action}`,
    toggleLabel: action === 'pause' ? 'Pause' : 'Resume',
  };
}

/** `polled`: a pull-only source's records are our polls of it, not its calls. */
function sourceHealth(activity: inboundRepository.SourceActivity, now: Date, polled = false) {
  const { accepted, duplicate, rejected } = activity.counts;
  const last = activity.lastReceivedAt;
  const [health, healthText] =
    accepted + duplicate === 0 && rejected > 0
      ? ['failing', 'Refusing everything']
      : last === null
        ? ['quiet', polled ? 'Never polled' : 'Never called']
        : accepted + duplicate + rejected === 0
          ? ['quiet', `Quiet for ${format.age(last, now)}`]
          : rejected > 0
            ? ['quiet', 'Some refused']
            : ['ok', polled ? 'Polling' : 'Receiving'];
  return {
    health,
    healthText,
    lastRequest: last ? `${format.time(last)} (${format.age(last, now)} ago)` : 'never',
    accepted,
    duplicate,
    rejected,
  };
}
