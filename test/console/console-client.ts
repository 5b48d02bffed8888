import type { Express } from 'express';
import request from 'supertest';
import { ADMIN_TOKEN } from '../support/config';

export type Agent = ReturnType<typeof request.agent>;

/** The value of the first hidden `_csrf` field of a page. */
export function formToken(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('the page has no _csrf field');
  return match[1];
}

/** The `Set-Cookie` line of one cookie, as the server sent it. */
export function setCookie(res: request.Response, name: string): string | undefined {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return header?.find((line) => line.startsWith(`${name}=`));
}

/** Signs in as a browser would: the form first (its cookie and token), then the token. */
export async function signIn(app: Express, token = ADMIN_TOKEN): Promise<{ agent: Agent; csrf: string }> {
  const agent = request.agent(app);
  const form = await agent.get('/console/login').expect(200);
  await agent.post('/console/login').type('form').send({ _csrf: formToken(form.text), token, next: '/console' }).expect(303);
  const page = await agent.get('/console').expect(200);
  return { agent, csrf: formToken(page.text) };
}

/** The text of a page without its tags, for reading what a person would see. */
export function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}
