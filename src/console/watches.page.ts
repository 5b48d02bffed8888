import type { Router } from 'express';
import { InvalidRequestError } from '../admin/admin-errors';
import { encodeCursor, parseWatchQuery } from '../admin/admin-query';
import { isMmbcSource } from '../config/config';
import * as watchRepository from '../polling/watch.repository';
import type { WatchRow } from '../polling/watch.table';
import { WATCH_STATES } from '../polling/watch.table';
import { type ConsoleContext, queryText, showPage } from './context';
import * as format from './format';
import { transactionHref, withQuery } from './links';

const PAGE_SIZE = 50;

/** CONTRACT 8 `/console/watches`: the admin API's watches list (CONTRACT 7). */
export function mountWatchesPage(router: Router, ctx: ConsoleContext): void {
  const { db, config } = ctx.deps;
  const sources = config.sources.filter(isMmbcSource).map((source) => source.id);

  router.get('/watches', async (req, res) => {
    const form = { state: queryText(req, 'state'), source: queryText(req, 'source') };
    const cursor = queryText(req, 'cursor');
    let rows: WatchRow[] = [];
    let nextCursor: string | undefined;
    let error: string | null = null;
    try {
      const query = Object.fromEntries(Object.entries({ ...form, cursor, limit: String(PAGE_SIZE) }).filter(([, v]) => v !== ''));
      const { filter, limit, after } = parseWatchQuery(query);
      const found = await watchRepository.listWatches(db, filter, limit + 1, after);
      rows = found.slice(0, limit);
      const last = rows.at(-1);
      if (found.length > limit && last) nextCursor = encodeCursor({ at: last.created_at, id: last.id });
    } catch (caught) {
      if (!(caught instanceof InvalidRequestError)) throw caught;
      error = `Cannot list: ${caught.message}.`;
    }
    showPage(ctx, res, 'watches', {
      title: 'Watches',
      section: 'watches',
      error,
      form,
      states: WATCH_STATES,
      sources,
      filtered: form.state !== '' || form.source !== '',
      rows: rows.map((row) => ({
        invoice: row.invoice,
        customerNumber: row.customer_number,
        href: transactionHref(row.source_id, row.invoice),
        source: row.source_id,
        state: row.state,
        polls: row.poll_count,
        lastPolled: row.last_polled_at ? format.time(row.last_polled_at) : 'not yet',
        lastOutcome: row.last_outcome,
        lastAnswer: format.cut(row.last_answer, 200),
        deadline: format.time(row.deadline_at),
      })),
      firstHref: cursor ? withQuery('/console/watches', form) : null,
      nextHref: nextCursor ? withQuery('/console/watches', { ...form, cursor: nextCursor }) : null,
    });
  });
}
