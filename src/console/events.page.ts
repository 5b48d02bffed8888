import type { Router } from 'express';
import { InvalidRequestError } from '../admin/admin-errors';
import { encodeCursor, parseEventQuery } from '../admin/admin-query';
import { CHANNELS, STATUSES } from '../events/event';
import * as eventRepository from '../events/event.repository';
import type { EventRow } from '../events/event.table';
import { type ConsoleContext, queryText, showPage } from './context';
import * as format from './format';
import { noticeText, transactionHref, withQuery } from './links';

const PAGE_SIZE = 50;
const FIELDS = ['reference', 'source', 'channel', 'status', 'since', 'until'] as const;
type Form = Record<(typeof FIELDS)[number], string>;

/** CONTRACT 8 `/console`: the admin API's events query (same validation, same indexed search). */
export function mountEventsPage(router: Router, ctx: ConsoleContext): void {
  const sources = ctx.deps.config.sources.map((source) => source.id);

  router.get('/', async (req, res) => {
    const form = Object.fromEntries(FIELDS.map((name) => [name, queryText(req, name)])) as Form;
    const cursor = queryText(req, 'cursor');
    let rows: EventRow[] = [];
    let nextCursor: string | undefined;
    let error: string | null = null;
    try {
      const { filter, limit, after } = parseEventQuery(toApiQuery(form, cursor));
      const found = await eventRepository.listEvents(ctx.deps.db, filter, limit + 1, after);
      rows = found.slice(0, limit);
      const last = rows.at(-1);
      if (found.length > limit && last) nextCursor = encodeCursor({ at: last.created_at, id: last.id });
    } catch (caught) {
      if (!(caught instanceof InvalidRequestError)) throw caught;
      error = `Cannot search: ${caught.message}.`;
    }
    const searched = FIELDS.some((name) => form[name] !== '');
    showPage(ctx, res, 'events', {
      title: form.reference ? `Events of ${form.reference}` : 'Events',
      section: 'events',
      notice: noticeText(queryText(req, 'notice')),
      error,
      form,
      sources,
      channels: CHANNELS,
      statuses: STATUSES,
      searched,
      caption: `${rows.length} event${rows.length === 1 ? '' : 's'}${nextCursor ? ' on this page' : ''}, newest first`,
      rows: rows.map(toRow),
      firstHref: cursor ? withQuery('/console', form) : null,
      nextHref: nextCursor ? withQuery('/console', { ...form, cursor: nextCursor }) : null,
    });
  });
}

/** The form as the admin API's query: empty fields left out, typed times made ISO-8601. */
function toApiQuery(form: Form, cursor: string): Record<string, string> {
  const query: Record<string, string> = { limit: String(PAGE_SIZE) };
  for (const name of ['reference', 'source', 'channel', 'status'] as const) if (form[name]) query[name] = form[name];
  for (const name of ['since', 'until'] as const) {
    if (!form[name]) continue;
    const at = format.parseTypedTime(form[name]);
    if (!at) throw new InvalidRequestError(`${name === 'since' ? 'Since' : 'Until'} is not a time such as 2026-11-22 10:00`);
    query[name] = at;
  }
  if (cursor) query.cursor = cursor;
  return query;
}

function toRow(row: EventRow) {
  return {
    createdAt: row.created_at,
    time: format.time(row.created_at),
    source: row.source_id,
    channel: row.channel,
    reference: row.reference,
    href: transactionHref(row.source_id, row.reference),
    status: row.status,
    stale: row.stale === 1,
    reversal: row.reversal === 1,
    amount: format.amount(row.amount_value, row.amount_currency),
  };
}
