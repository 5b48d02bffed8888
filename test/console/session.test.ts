import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, BILLER_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { formToken, setCookie, signIn } from './console-client';

let database: TestDatabase;
let apps: TestApps;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  apps = buildApps(database);
});

async function loginForm(agent = request.agent(apps.adminApp)) {
  const page = await agent.get('/console/login').expect(200);
  return { agent, csrf: formToken(page.text), page };
}

describe('GET /console/login', () => {
  it('shows a password field labelled "Admin token" and a "Sign in" button', async () => {
    const { page } = await loginForm();

    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<label for="admin-token">Admin token</label>');
    expect(page.text).toMatch(/<input id="admin-token" name="token" type="password"/);
    expect(page.text).toContain('<button type="submit">Sign in</button>');
    expect(page.text).not.toContain('Sign out');
  });

  it('sends a signed-out reader of any page to it, and back after signing in', async () => {
    const agent = request.agent(apps.adminApp);

    const res = await agent.get('/console/sources').expect(303);
    expect(res.headers.location).toBe('/console/login?next=%2Fconsole%2Fsources');

    const form = await agent.get(res.headers.location as string).expect(200);
    const signedIn = await agent.post('/console/login').type('form').send({ _csrf: formToken(form.text), token: ADMIN_TOKEN, next: '/console/sources' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/console/sources');
  });

  it('never sends a signed-in operator outside the console', async () => {
    const { agent, csrf } = await loginForm();

    const res = await agent.post('/console/login').type('form').send({ _csrf: csrf, token: ADMIN_TOKEN, next: '//evil.example/console' });

    expect(res.headers.location).toBe('/console');
  });
});

describe('POST /console/login', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie for /console that expires in 8 hours, and leads to /console', async () => {
    const { agent, csrf } = await loginForm();

    const res = await agent.post('/console/login').type('form').send({ _csrf: csrf, token: ADMIN_TOKEN });

    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console');
    const cookie = setCookie(res, 'console_session') ?? '';
    expect(cookie).toMatch(/; Max-Age=28800;/);
    expect(cookie).toContain('; Path=/console;');
    expect(cookie).toContain('; HttpOnly');
    expect(cookie).toContain('; SameSite=Strict');
    expect(cookie).toMatch(/; Expires=/);
    expect(cookie).not.toContain('Secure');
    const events = await agent.get('/console').expect(200);
    expect(events.text).toContain('<button type="submit">Sign out</button>');
  });

  it('marks the cookie Secure when the request came over https through a trusted proxy', async () => {
    apps = buildApps(database, buildConfig({ trustProxy: 1 }));
    const { agent, csrf } = await loginForm();

    const res = await agent.post('/console/login').set('X-Forwarded-Proto', 'https').type('form').send({ _csrf: csrf, token: ADMIN_TOKEN });

    expect(setCookie(res, 'console_session')).toContain('; Secure');
  });

  it('answers a wrong token with "Invalid token" and no session', async () => {
    const { agent, csrf } = await loginForm();

    const res = await agent.post('/console/login').type('form').send({ _csrf: csrf, token: 'not-the-admin-token-at-all' });

    expect(res.status).toBe(401);
    expect(res.text).toContain('role="alert">Invalid token</p>');
    expect(setCookie(res, 'console_session')).toBeUndefined();
    await agent.get('/console').expect(303);
  });

  it('refuses a sign-in without the form token (another site posting the form)', async () => {
    const res = await request(apps.adminApp).post('/console/login').type('form').send({ token: ADMIN_TOKEN });

    expect(res.status).toBe(403);
    expect(setCookie(res, 'console_session')).toBeUndefined();
  });

  it('stops answering a client after five wrong tokens in a minute, whatever it sends next', async () => {
    const { agent, csrf } = await loginForm();
    for (let n = 0; n < 5; n++) {
      await agent.post('/console/login').type('form').send({ _csrf: csrf, token: `wrong-token-number-${n}` }).expect(401);
    }

    const throttled = await agent.post('/console/login').type('form').send({ _csrf: csrf, token: ADMIN_TOKEN });
    apps.deps.clock.advance(60_000);
    const later = await agent.post('/console/login').type('form').send({ _csrf: csrf, token: ADMIN_TOKEN });

    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('60');
    expect(throttled.text).toContain('Too many attempts');
    expect(setCookie(throttled, 'console_session')).toBeUndefined();
    expect(later.status).toBe(303);
  });

  it('lets nobody in when the server has no ADMIN_TOKEN', async () => {
    apps = buildApps(database, buildConfig({ adminToken: null }));
    const { agent, csrf, page } = await loginForm();

    const res = await agent.post('/console/login').type('form').send({ _csrf: csrf, token: '' });

    expect(page.text).toContain('Signing in is off');
    expect(res.status).toBe(401);
    expect(res.text).toContain('Invalid token');
  });
});

describe('the session', () => {
  it('ends after 8 hours', async () => {
    const { agent } = await signIn(apps.adminApp);

    apps.deps.clock.advance(8 * 60 * 60 * 1000 - 1000);
    await agent.get('/console').expect(200);
    apps.deps.clock.advance(1000);
    await agent.get('/console').expect(303);
  });

  it('ends when ADMIN_TOKEN changes, and survives a restart with the same one', async () => {
    const { agent } = await signIn(apps.adminApp);
    const cookie = (await agent.get('/console/login')).request.cookies;

    const restarted = buildApps(database).adminApp;
    const rekeyed = buildApps(database, buildConfig({ adminToken: 'another-admin-token-0123456789' })).adminApp;

    await request(restarted).get('/console').set('Cookie', cookie).expect(200);
    await request(rekeyed).get('/console').set('Cookie', cookie).expect(303);
  });

  it('refuses a cookie whose signature is not the server\'s', async () => {
    const { agent } = await signIn(apps.adminApp);
    const cookie = (await agent.get('/console/login')).request.cookies;
    const forged = cookie.replace(/console_session=v1\.([^.]+)\.(\d+)\./, (_all, id: string) => `console_session=v1.${id}.9999999999999.`);

    await request(apps.adminApp).get('/console').set('Cookie', forged).expect(303);
  });
});

describe('CSRF', () => {
  it('refuses a POST without the form token with 403, and does nothing', async () => {
    const { agent } = await signIn(apps.adminApp);
    await request(apps.publicApp).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=CSRF-1`).expect(200);
    const event = await database.handle.db.selectFrom('events').select('id').executeTakeFirstOrThrow();

    const missing = await agent.post(`/console/events/${event.id}/replay`).type('form').send({});
    const wrong = await agent.post(`/console/events/${event.id}/replay`).type('form').send({ _csrf: 'x'.repeat(43) });
    const json = await agent.post(`/console/events/${event.id}/replay`).send({ _csrf: 'x' });
    const signOut = await agent.post('/console/logout').type('form').send({});

    expect([missing.status, wrong.status, json.status, signOut.status]).toEqual([403, 403, 403, 403]);
    expect(missing.text).toContain('no valid security token');
    await agent.get('/console').expect(200);
  });

  it('refuses a POST with no session at all', async () => {
    const res = await request(apps.adminApp).post('/console/deliveries/retry').type('form').send({ _csrf: 'anything' });

    expect(res.status).toBe(403);
  });
});

describe('POST /console/logout ("Sign out")', () => {
  it('ends the session: the cookie is cleared, and a copy of it no longer works', async () => {
    const { agent, csrf } = await signIn(apps.adminApp);
    const copy = (await agent.get('/console/login')).request.cookies;

    const res = await agent.post('/console/logout').type('form').send({ _csrf: csrf });

    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console/login?notice=signed-out');
    expect(setCookie(res, 'console_session')).toMatch(/^console_session=;.*Expires=Thu, 01 Jan 1970/);
    await agent.get('/console').expect(303);
    await request(apps.adminApp).get('/console').set('Cookie', copy).expect(303);
    const login = await agent.get(res.headers.location as string).expect(200);
    expect(login.text).toContain('Signed out.');
  });
});

describe('what the console pages send', () => {
  it('allows scripts and styles from the admin listener only, is never cached, and keeps the admin API behind its bearer token', async () => {
    const { agent } = await signIn(apps.adminApp);

    const page = await agent.get('/console').expect(200);
    const css = await request(apps.adminApp).get('/console/assets/console.css').expect(200);
    const api = await agent.get('/admin/events');

    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).not.toMatch(/(src|href)="https?:/);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(api.status).toBe(401);
  });

  it('answers an unknown console page with a 404 page', async () => {
    const { agent } = await signIn(apps.adminApp);

    const res = await agent.get('/console/nothing-here');

    expect(res.status).toBe(404);
    expect(res.text).toContain('The console has no such page.');
  });
});
