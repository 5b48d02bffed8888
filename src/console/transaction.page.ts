import type { Router } from 'express';
import * as deliveryRepository from '../delivery/delivery.repository';
import type { DeliveryAttemptRow, DeliveryRow } from '../delivery/delivery.table';
import * as replayService from '../delivery/replay.service';
import * as eventRepeatRepository from '../events/event-repeat.repository';
import * as eventRepository from '../events/event.repository';
import type { EventRow } from '../events/event.table';
import * as transactionRepository from '../events/transaction.repository';
import * as inboundRepository from '../ingress/inbound.repository';
import type { InboundRecordRow } from '../ingress/inbound.table';
import { type ConsoleContext, queryText, showMessage, showPage } from './context';
import * as format from './format';
import { noticeText, transactionHref, withNotice, withQuery } from './links';

/**
 * CONTRACT 8 `/console/transactions/:source/:reference`: the admin API's transaction, each event's
 * inbound record (`GET /admin/events/:id`) and the reports that repeated it, deliveries and attempts; `Replay` as
 * `POST /admin/events/:id/replay`.
 */
export function mountTransactionPage(router: Router, ctx: ConsoleContext): void {
  const { db, clock, config, outbox } = ctx.deps;

  router.get('/transactions/:source/:reference', async (req, res) => {
    const { source, reference } = req.params;
    const transaction = await transactionRepository.findTransaction(db, source, reference);
    if (!transaction) {
      showMessage(ctx, res, 404, {
        title: 'No such transaction',
        message: `Nothing was stored for reference ${reference} from ${source}.`,
        back: withQuery('/console', { reference }),
        backLabel: `Search events for ${reference}`,
      });
      return;
    }
    const events = await eventRepository.listTransactionEvents(db, source, reference);
    const inbound = new Map<string, InboundRecordRow>();
    const deliveries = new Map<string, DeliveryRow[]>();
    for (const event of events) {
      if (event.inbound_id && !inbound.has(event.inbound_id)) {
        const row = await inboundRepository.findInbound(db, event.inbound_id);
        if (row) inbound.set(row.id, row);
      }
      deliveries.set(event.id, await deliveryRepository.listForEvent(db, event.id));
    }
    const attempts = await deliveryRepository.listAttempts(db, [...deliveries.values()].flat().map((d) => d.id));
    const repeats = await eventRepeatRepository.listRepeats(db, events.map((event) => event.id));
    const selfHref = transactionHref(source, reference);
    const pending = [...deliveries.values()].flat().some((d) => d.state === 'pending');
    showPage(ctx, res, 'transaction', {
      title: `Transaction ${reference}`,
      section: 'events',
      notice: noticeText(queryText(req, 'notice')),
      source,
      reference,
      channel: transaction.channel,
      status: transaction.status,
      createdAt: format.time(transaction.created_at),
      updatedAt: format.time(transaction.updated_at),
      selfHref,
      pending,
      events: events.map((event) => ({
        ...eventView(event, transaction.status_event_id),
        inbound: event.inbound_id ? inboundView(inbound.get(event.inbound_id)) : null,
        repeats: repeats.filter((r) => r.event_id === event.id).map((r) => inboundView(r)),
        deliveries: (deliveries.get(event.id) ?? []).map((d) => deliveryView(d, attempts.filter((a) => a.delivery_id === d.id))),
      })),
    });
  });

  router.post('/events/:id/replay', async (req, res) => {
    const event = await eventRepository.findEvent(db, req.params.id);
    const queued = event ? await replayService.replayEvent(db, clock, config.subscribers, event.id) : undefined;
    if (!event || queued === undefined) {
      showMessage(ctx, res, 404, { title: 'No such event', message: `There is no event ${req.params.id}.` });
      return;
    }
    if (queued > 0) outbox.wake();
    req.log.info({ eventId: event.id, deliveries: queued }, 'console replay');
    res.redirect(303, `${withNotice(transactionHref(event.source_id, event.reference), `replayed-${queued}`)}#${event.id}`);
  });
}

function eventView(row: EventRow, statusEventId: string) {
  const amount = format.amount(row.amount_value, row.amount_currency);
  return {
    id: row.id,
    seq: row.transaction_seq,
    status: row.status,
    stale: row.stale === 1,
    reversal: row.reversal === 1,
    current: row.id === statusEventId,
    time: format.time(row.created_at),
    providerStatus: row.provider_status,
    providerReference: row.provider_reference,
    amount: amount || null,
    occurredAt: row.occurred_at ? format.time(row.occurred_at) : null,
    details: format.prettyJson(row.details),
    replayAction: `/console/events/${encodeURIComponent(row.id)}/replay`,
  };
}

/** The stored request (already redacted when it was stored) and our answer to it. */
function inboundView(row: InboundRecordRow | undefined) {
  if (!row) return null;
  const headers = Object.entries(JSON.parse(row.headers) as Record<string, string>);
  return {
    receivedAt: format.time(row.received_at),
    clientIp: row.client_ip,
    method: row.method,
    url: row.url,
    outcome: row.outcome,
    reason: row.reason,
    signature: row.signature_form ? `${row.signature_form} body, path ${row.signature_path ?? ''}` : null,
    headers,
    body: format.prettyJson(row.body),
    responseStatus: row.response_status,
    answerClass: row.response_status < 300 ? 'ok' : 'bad',
    responseSummary: format.cut(row.response_body, 120),
    responseBody: format.prettyJson(row.response_body),
  };
}

function deliveryView(row: DeliveryRow, attempts: readonly DeliveryAttemptRow[]) {
  const summary =
    row.state === 'delivered'
      ? `delivered ${format.time(row.delivered_at)}`
      : row.state === 'pending'
        ? `next attempt ${format.time(row.next_attempt_at)}`
        : `gave up after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}`;
  return {
    id: row.id,
    subscriber: row.subscriber_id,
    state: row.state,
    summary,
    retryAction: row.state === 'dead' ? `/console/deliveries/${encodeURIComponent(row.id)}/retry` : null,
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      time: format.time(a.started_at),
      result: a.status_code !== null ? `HTTP ${a.status_code}` : (a.error ?? 'error'),
      resultClass: a.status_code !== null && a.status_code < 300 ? 'ok' : 'bad',
      latency: `${a.latency_ms} ms`,
      outcome: a.outcome,
      body: format.cut(a.response_body, 200),
    })),
  };
}
