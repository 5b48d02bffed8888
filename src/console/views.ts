import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { Eta } from 'eta';
import { SCRIPT, STYLESHEET } from './assets';
import { DELIVERIES } from './templates/deliveries';
import { EVENTS } from './templates/events';
import { LAYOUT, LOGIN, MESSAGE } from './templates/layout';
import { SOURCES } from './templates/sources';
import { TRANSACTION } from './templates/transaction';
import { WATCHES } from './templates/watches';

export type PageName = 'login' | 'message' | 'events' | 'transaction' | 'deliveries' | 'sources' | 'watches';
export type Section = 'events' | 'deliveries' | 'sources' | 'watches';

/** What the layout needs on every page. */
export interface PageData {
  readonly title: string;
  /** The session's form token; null when signed out (then no navigation is shown). */
  readonly csrf: string | null;
  readonly section?: Section;
  readonly notice?: string | null;
  readonly error?: string | null;
}

const SECTIONS: readonly { section: Section; label: string; href: string }[] = [
  { section: 'events', label: 'Events', href: '/console' },
  { section: 'deliveries', label: 'Dead deliveries', href: '/console/deliveries?state=dead' },
  { section: 'sources', label: 'Sources', href: '/console/sources' },
  { section: 'watches', label: 'Watches', href: '/console/watches' },
];

/** Changes whenever the stylesheet or script does, so browsers may keep them for long. */
export const ASSET_VERSION = createHash('sha256').update(STYLESHEET).update(SCRIPT).digest('hex').slice(0, 12);

/**
 * Eta escapes every `<%= %>` (autoEscape, its default, set here so nobody turns it off by
 * accident); `<%~ %>` is used only for the page body the layout wraps. Templates are TypeScript
 * strings, compiled once when the app is built, so the compiled server needs no template files.
 */
export function createViews() {
  const eta = new Eta({ autoEscape: true, cache: true });
  const templates: Record<PageName | 'layout', string> = {
    layout: LAYOUT,
    login: LOGIN,
    message: MESSAGE,
    events: EVENTS,
    transaction: TRANSACTION,
    deliveries: DELIVERIES,
    sources: SOURCES,
    watches: WATCHES,
  };
  for (const [name, text] of Object.entries(templates)) eta.loadTemplate(`@${name}`, eta.compile(text));

  return {
    /** Answers the page, never cached: it shows live data to a signed-in operator. */
    send<T extends PageData>(res: Response, page: PageName, data: T, status = 200): void {
      const links = SECTIONS.map((s) => ({ label: s.label, href: s.href, current: s.section === data.section }));
      const html = eta.render(`@${page}`, { notice: null, error: null, ...data, links, assetVersion: ASSET_VERSION });
      res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
    },
  };
}

export type Views = ReturnType<typeof createViews>;
