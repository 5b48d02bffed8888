import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { buildApps } from '../support/app';
import { ADMIN_TOKEN, BILLER_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, createTestDatabase } from '../support/database';

let database: TestDatabase;
let apps: ReturnType<typeof buildApps>;
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  database = await createTestDatabase();
  apps = buildApps(database);
  // Five callbacks, one second apart: R1 SUCCESS, R2 FAILED, R3 SUCCESS, R1 FAILED (a reversal), one rejected.
  const calls = ['status=0&refid=R1', 'status=1&refid=R2', 'status=0&refid=R3', 'status=1&refid=R1'];
  for (const query of calls) {
    apps.deps.clock.advance(1000);
    await request(apps.publicApp).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?${query}`).expect(200);
  }
  apps.deps.clock.advance(1000);
  await request(apps.publicApp).get('/callbacks/biller/biller-a/wrong?status=0&refid=R9').expect(403);
});
afterAll(async () => {
  await database.close();
});

describe('admin authentication', () => {
  it('answers /healthz and /readyz without a token', async () => {
    await request(apps.adminApp).get('/healthz').expect(200, { status: 'ok' });
    await request(apps.adminApp).get('/readyz').expect(200, { status: 'ready', checks: { database: 'ok', migrations: 'current', writes: 'ok' } });
  });

  it('answers 401 without the bearer token, or with a wrong one', async () => {
    const none = await request(apps.adminApp).get('/admin/events');
    const wrong = await request(apps.adminApp).get('/admin/events').set('Authorization', 'Bearer nope');

    for (const res of [none, wrong]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'a valid admin bearer token is required' } });
    }
  });

  it('answers 401 to everyone when ADMIN_TOKEN is not set', async () => {
    const locked = buildApps(database, buildConfig({ adminToken: null }));

    await request(locked.adminApp).get('/admin/events').set('Authorization', 'Bearer ').expect(401);
    await request(locked.adminApp).get('/admin/events').set(auth).expect(401);
    await request(locked.adminApp).get('/healthz').expect(200);
  });

  it('answers an unknown admin route with a JSON 404', async () => {
    const res = await request(apps.adminApp).get('/admin/nothing').set(auth);

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});

describe('GET /admin/events', () => {
  it('lists events newest first', async () => {
    const res = await request(apps.adminApp).get('/admin/events').set(auth).expect(200);

    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items.map((e: { data: { reference: string; status: string } }) => `${e.data.reference}:${e.data.status}`)).toEqual([
      'R1:FAILED',
      'R3:SUCCESS',
      'R2:FAILED',
      'R1:SUCCESS',
    ]);
    expect(res.body.items[0]).toMatchObject({ type: 'payment.status', data: { reversal: true, channel: 'biller', source: 'biller-a' } });
    expect(res.body.items[0].data.stale).toBeUndefined();
    expect(res.body.items[1].data.reversal).toBeUndefined();
  });

  it('pages with a cursor and loses nothing between pages', async () => {
    const first = await request(apps.adminApp).get('/admin/events?limit=3').set(auth).expect(200);
    const second = await request(apps.adminApp).get(`/admin/events?limit=3&cursor=${first.body.nextCursor}`).set(auth).expect(200);

    expect(first.body.items).toHaveLength(3);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    expect(second.body.items[0].data.reference).toBe('R1');
    expect(second.body.items[0].data.status).toBe('SUCCESS');
  });

  it('filters by reference, status and time', async () => {
    const byRef = await request(apps.adminApp).get('/admin/events?reference=R1').set(auth).expect(200);
    const byStatus = await request(apps.adminApp).get('/admin/events?status=SUCCESS&source=biller-a&channel=biller').set(auth).expect(200);
    const everything = await request(apps.adminApp).get('/admin/events').set(auth).expect(200);
    const times = (everything.body.items as { createdAt: string }[]).map((e) => e.createdAt).sort();
    const window = await request(apps.adminApp).get(`/admin/events?since=${times[1]}&until=${times[3]}`).set(auth).expect(200);

    expect(byRef.body.items).toHaveLength(2);
    expect(byStatus.body.items).toHaveLength(2);
    // since is inclusive, until exclusive.
    expect(window.body.items.map((e: { createdAt: string }) => e.createdAt)).toEqual([times[2], times[1]]);
  });

  it.each([
    ['limit=501', 'limit must be from 1 to 500'],
    ['limit=0', 'limit must be from 1 to 500'],
    ['status=DONE', 'status must be equal to one of the allowed values'],
    ['since=yesterday', 'since must match format "date-time"'],
    ['cursor=abc', 'cursor is not one this API gave out'],
    ['colour=red', 'colour is not a known property'],
  ])('answers 400 for %s', async (query, message) => {
    const res = await request(apps.adminApp).get(`/admin/events?${query}`).set(auth);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message } });
  });
});

describe('GET /admin/events/:id', () => {
  it('shows the event with its inbound record and its deliveries', async () => {
    const list = await request(apps.adminApp).get('/admin/events?reference=R2').set(auth);
    const id = list.body.items[0].id as string;

    const res = await request(apps.adminApp).get(`/admin/events/${id}`).set(auth).expect(200);

    expect(res.body.event.id).toBe(id);
    expect(res.body.inbound).toMatchObject({
      outcome: 'accepted',
      method: 'GET',
      url: '/callbacks/biller/biller-a/[REDACTED]?status=1&refid=R2',
      response: { status: 200, body: 'OK' },
    });
    expect(res.body.deliveries).toEqual([]);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await request(apps.adminApp).get('/admin/events/evt_nothing').set(auth);

    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('GET /admin/transactions/:source/:reference', () => {
  it('shows the current status and the history, oldest first', async () => {
    const res = await request(apps.adminApp).get('/admin/transactions/biller-a/R1').set(auth).expect(200);

    expect(res.body).toMatchObject({ source: 'biller-a', reference: 'R1', channel: 'biller', status: 'FAILED' });
    expect(res.body.events.map((e: { data: { status: string } }) => e.data.status)).toEqual(['SUCCESS', 'FAILED']);
    expect(res.body.statusEventId).toBe(res.body.events[1].id);
  });

  it('answers 404 for a transaction never reported', async () => {
    await request(apps.adminApp).get('/admin/transactions/biller-a/NOPE').set(auth).expect(404);
  });
});

describe('GET /admin/inbound', () => {
  it('lists rejected records with their reason and the answer given', async () => {
    const res = await request(apps.adminApp).get('/admin/inbound?outcome=rejected').set(auth).expect(200);

    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({
      source: 'biller-a',
      outcome: 'rejected',
      reason: 'wrong token',
      response: { status: 403, body: 'Forbidden' },
    });
    expect(JSON.stringify(res.body)).not.toContain('wrong?');
  });

  it('filters by source and pages', async () => {
    const first = await request(apps.adminApp).get('/admin/inbound?source=biller-a&limit=4').set(auth).expect(200);
    const rest = await request(apps.adminApp).get(`/admin/inbound?source=biller-a&limit=4&cursor=${first.body.nextCursor}`).set(auth).expect(200);

    expect(first.body.items).toHaveLength(4);
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
  });
});
