import type { Request, Response } from 'express';
import type { AppDeps } from '../deps';
import type { Session } from './session';
import type { PageData, PageName, Views } from './views';

/** What every console page handler gets. */
export interface ConsoleContext {
  readonly deps: AppDeps;
  readonly views: Views;
}

/** The signed-in session, set by the session check before any page runs. */
export function sessionOf(res: Response): Session {
  const session = (res.locals as { session?: Session }).session;
  if (!session) throw new Error('a console page ran without a session');
  return session;
}

/** Renders a page of a signed-in operator: the layout gets the session's form token. */
export function showPage<T extends Omit<PageData, 'csrf'>>(ctx: ConsoleContext, res: Response, page: PageName, data: T, status = 200): void {
  ctx.views.send(res, page, { ...data, csrf: sessionOf(res).csrf }, status);
}

/** A page with a message only (not found, refused); `csrf` null when nobody is signed in. */
export function showMessage(
  ctx: ConsoleContext,
  res: Response,
  status: number,
  text: { title: string; message: string; back?: string; backLabel?: string },
): void {
  const csrf = (res.locals as { session?: Session }).session?.csrf ?? null;
  ctx.views.send(res, 'message', { back: '/console', backLabel: 'Back to the events', ...text, csrf }, status);
}

/** One query parameter as typed: a repeated one counts as absent. */
export function queryText(req: Request, name: string): string {
  const value = (req.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.trim() : '';
}
