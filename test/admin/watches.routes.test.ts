import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { WatchView } from '../../src/polling/watch.service';
import type { WatchState } from '../../src/polling/watch.table';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, billerSource, buildConfig, mmbcMultipaymentSource, mmbcPpobSource } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';

// CONTRACT 7: the admin routes of watches on the pull-only MMBC sources. No poller runs here:
// every watch stays as registered unless a test changes its row.

const START = '2026-11-22T03:00:00.000Z';
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

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
  apps = buildApps(database, buildConfig({ sources: [billerSource(), mmbcMultipaymentSource(), mmbcPpobSource()] }));
  apps.deps.clock.set(START);
});

const post = (body: unknown) => request(apps.adminApp).post('/admin/watches').set(auth).send(body as object);
const list = (query = '') => request(apps.adminApp).get(`/admin/watches${query}`).set(auth);
const show = (id: string) => request(apps.adminApp).get(`/admin/watches/${id}`).set(auth);
const cancel = (id: string) => request(apps.adminApp).delete(`/admin/watches/${id}`).set(auth);

/** Registers a watch that must be new, and answers its view. */
async function register(body: { source: string; invoice: string; customerNumber?: string }): Promise<WatchView> {
  const res = await post(body).expect(201);
  return res.body as WatchView;
}

async function setState(id: string, state: WatchState): Promise<void> {
  const at = apps.deps.clock.now().toISOString();
  await database.handle.db.updateTable('watches').set({ state, updated_at: at, ended_at: at }).where('id', '=', id).execute();
}

async function watchCount(): Promise<number> {
  return (await database.handle.db.selectFrom('watches').select('id').execute()).length;
}

const ids = (res: { body: { items: WatchView[] } }) => res.body.items.map((w) => w.id);

describe('POST /admin/watches', () => {
  it('registers a Multipayment watch (201), due after the first wait of the schedule, ending at the deadline', async () => {
    const res = await post({ source: 'mmbc-reload', invoice: 'INV-0001' });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^wch_[0-9A-Z]{26}$/),
      source: 'mmbc-reload',
      invoice: 'INV-0001',
      customerNumber: null,
      state: 'active',
      createdAt: START,
      updatedAt: START,
      deadlineAt: '2026-11-22T04:00:00.000Z',
      nextPollAt: '2026-11-22T03:00:10.000Z',
      pollCount: 0,
      lastPolledAt: null,
      lastOutcome: null,
      lastAnswer: null,
      endedAt: null,
    });
  });

  it('answers 200 with the same watch when the (source, invoice) is registered again', async () => {
    const first = await register({ source: 'mmbc-reload', invoice: 'INV-0001' });
    apps.deps.clock.advance(5_000);

    const again = await post({ source: 'mmbc-reload', invoice: 'INV-0001' });

    expect(again.status).toBe(200);
    expect(again.body).toEqual(first);
    expect(await watchCount()).toBe(1);
  });

  it('keeps one watch per source: the same invoice on another source is another watch', async () => {
    const reload = await register({ source: 'mmbc-reload', invoice: 'INV-0001' });
    const ppob = await register({ source: 'mmbc-ppob', invoice: 'INV-0001', customerNumber: '512345678901' });

    expect(ppob.id).not.toBe(reload.id);
    expect(await watchCount()).toBe(2);
  });

  it('drops a customerNumber given for a Multipayment source, which has no use for it', async () => {
    const watch = await register({ source: 'mmbc-reload', invoice: 'INV-0001', customerNumber: '512345678901' });
    const again = await post({ source: 'mmbc-reload', invoice: 'INV-0001', customerNumber: '999' });

    expect(watch.customerNumber).toBeNull();
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(watch.id);
  });

  it('keeps the customerNumber of a PPOB watch', async () => {
    const watch = await register({ source: 'mmbc-ppob', invoice: 'PPOB-1', customerNumber: '512345678901' });
    const again = await post({ source: 'mmbc-ppob', invoice: 'PPOB-1', customerNumber: '512345678901' });

    expect(watch).toMatchObject({ source: 'mmbc-ppob', invoice: 'PPOB-1', customerNumber: '512345678901', state: 'active' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(watch);
    expect((await show(watch.id).expect(200)).body.customerNumber).toBe('512345678901');
  });

  it('answers 400 for a PPOB watch without a customerNumber, and stores nothing', async () => {
    const res = await post({ source: 'mmbc-ppob', invoice: 'PPOB-1' });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { code: 'invalid_request', message: 'customerNumber (ppob_nomorpelanggan) is required for mmbc-ppob, a PPOB source' },
    });
    expect(await watchCount()).toBe(0);
  });

  it('answers 409 when the (source, invoice) is watched for another customerNumber, and keeps the first', async () => {
    const watch = await register({ source: 'mmbc-ppob', invoice: 'PPOB-1', customerNumber: '512345678901' });

    const res = await post({ source: 'mmbc-ppob', invoice: 'PPOB-1', customerNumber: '512345678902' });

    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: { code: 'conflict', message: `mmbc-ppob invoice PPOB-1 is watched already (${watch.id}) for customer number 512345678901` },
    });
    expect((await show(watch.id).expect(200)).body.customerNumber).toBe('512345678901');
    expect(await watchCount()).toBe(1);
  });

  it('accepts an invoice of 64 visible characters', async () => {
    const invoice = `${'A'.repeat(60)}-~!#`;

    const watch = await register({ source: 'mmbc-reload', invoice });

    expect(watch.invoice).toBe(invoice);
  });

  it.each([
    ['an unknown source', { source: 'nobody', invoice: 'INV-1' }, 'no source has the id "nobody"'],
    ['a biller source', { source: 'biller-a', invoice: 'INV-1' }, 'source biller-a is of type biller: only mmbc-multipayment and mmbc-ppob sources are polled'],
    ['a missing invoice', { source: 'mmbc-reload' }, 'invoice is required'],
    ['a missing source', { invoice: 'INV-1' }, 'source is required'],
    ['an extra field', { source: 'mmbc-reload', invoice: 'INV-1', amount: '10000' }, 'amount is not a known property'],
    ['an invoice with a space', { source: 'mmbc-reload', invoice: 'INV 1' }, 'invoice must match pattern "^[\\x21-\\x7e]{1,64}$"'],
    ['an empty invoice', { source: 'mmbc-reload', invoice: '' }, 'invoice must match pattern "^[\\x21-\\x7e]{1,64}$"'],
    ['an invoice of 65 characters', { source: 'mmbc-reload', invoice: 'A'.repeat(65) }, 'invoice must match pattern "^[\\x21-\\x7e]{1,64}$"'],
    ['an invoice that is a number', { source: 'mmbc-reload', invoice: 12345 }, 'invoice must be string'],
    ['a body that is an array', [{ source: 'mmbc-reload', invoice: 'INV-1' }], 'body must be object'],
    ['a customerNumber with a space', { source: 'mmbc-ppob', invoice: 'PPOB-1', customerNumber: '5123 4567' }, 'customerNumber must match pattern "^[\\x21-\\x7e]{1,64}$"'],
  ])('answers 400 for %s, and stores nothing', async (_case, body, message) => {
    const res = await post(body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message } });
    expect(await watchCount()).toBe(0);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await request(apps.adminApp).post('/admin/watches').set(auth).set('Content-Type', 'application/json').send('{"source":');

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(await watchCount()).toBe(0);
  });
});

describe('GET /admin/watches', () => {
  /** Four watches one second apart; the last is canceled and the third done. */
  async function seed(): Promise<WatchView[]> {
    const bodies = [
      { source: 'mmbc-reload', invoice: 'INV-1' },
      { source: 'mmbc-ppob', invoice: 'PPOB-1', customerNumber: '512345678901' },
      { source: 'mmbc-reload', invoice: 'INV-2' },
      { source: 'mmbc-reload', invoice: 'INV-3' },
    ];
    const watches: WatchView[] = [];
    for (const body of bodies) {
      apps.deps.clock.advance(1_000);
      watches.push(await register(body));
    }
    await setState(watches[2]!.id, 'done');
    await cancel(watches[3]!.id).expect(200);
    return watches;
  }

  it('lists every watch newest first, with no next page', async () => {
    const [a, b, c, d] = await seed();

    const res = await list().expect(200);

    expect(ids(res)).toEqual([d!.id, c!.id, b!.id, a!.id]);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items[3]).toEqual(a);
  });

  it('filters by source', async () => {
    const [a, b, c, d] = await seed();

    const reload = await list('?source=mmbc-reload').expect(200);
    const ppob = await list('?source=mmbc-ppob').expect(200);
    const none = await list('?source=nobody').expect(200);

    expect(ids(reload)).toEqual([d!.id, c!.id, a!.id]);
    expect(ids(ppob)).toEqual([b!.id]);
    expect(none.body).toEqual({ items: [], nextCursor: null });
  });

  it('filters by state, and by source and state together', async () => {
    const [a, b, c, d] = await seed();

    const active = await list('?state=active').expect(200);
    const done = await list('?state=done').expect(200);
    const canceled = await list('?state=canceled').expect(200);
    const expired = await list('?state=expired').expect(200);
    const activeReload = await list('?state=active&source=mmbc-reload').expect(200);

    expect(ids(active)).toEqual([b!.id, a!.id]);
    expect(ids(done)).toEqual([c!.id]);
    expect(done.body.items[0]).toMatchObject({ state: 'done', nextPollAt: null });
    expect(ids(canceled)).toEqual([d!.id]);
    expect(ids(expired)).toEqual([]);
    expect(ids(activeReload)).toEqual([a!.id]);
  });

  it('pages with limit=1 and nextCursor, losing nothing, until nextCursor is null', async () => {
    const watches = await seed();

    const seen: string[] = [];
    const cursors: (string | null)[] = [];
    let query = '?limit=1';
    for (let page = 0; page < 10; page++) {
      const res = await list(query).expect(200);
      seen.push(...ids(res));
      cursors.push(res.body.nextCursor);
      if (res.body.nextCursor === null) break;
      query = `?limit=1&cursor=${res.body.nextCursor}`;
    }

    expect(seen).toEqual(watches.map((w) => w.id).reverse());
    expect(cursors.slice(0, 3)).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
    expect(cursors[3]).toBeNull();
  });

  it('pages a filtered list', async () => {
    const [a, , c, d] = await seed();

    const first = await list('?source=mmbc-reload&limit=2').expect(200);
    const second = await list(`?source=mmbc-reload&limit=2&cursor=${first.body.nextCursor}`).expect(200);

    expect(ids(first)).toEqual([d!.id, c!.id]);
    expect(ids(second)).toEqual([a!.id]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('orders and pages watches registered in the same millisecond by registration', async () => {
    const watches: WatchView[] = [];
    for (const invoice of ['SAME-1', 'SAME-2', 'SAME-3']) watches.push(await register({ source: 'mmbc-reload', invoice }));

    const first = await list('?limit=2').expect(200);
    const second = await list(`?limit=2&cursor=${first.body.nextCursor}`).expect(200);

    expect(new Set(watches.map((w) => w.createdAt))).toEqual(new Set([START]));
    expect([...ids(first), ...ids(second)]).toEqual(watches.map((w) => w.id).reverse());
    expect(second.body.nextCursor).toBeNull();
  });

  it.each([
    ['state=paused', 'state must be equal to one of the allowed values'],
    ['state=', 'state must be equal to one of the allowed values'],
    ['limit=0', 'limit must be from 1 to 500'],
    ['limit=501', 'limit must be from 1 to 500'],
    ['cursor=abc', 'cursor is not one this API gave out'],
    ['invoice=INV-1', 'invoice is not a known property'],
  ])('answers 400 for %s', async (query, message) => {
    const res = await list(`?${query}`);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message } });
  });
});

describe('GET /admin/watches/:id', () => {
  it('shows the watch, its fields at the top level, with no polls yet', async () => {
    const watch = await register({ source: 'mmbc-ppob', invoice: 'PPOB-1', customerNumber: '512345678901' });

    const res = await show(watch.id).expect(200);

    expect(res.body).toEqual({ ...watch, polls: [] });
  });

  it('shows the polls made, first poll first', async () => {
    const watch = await register({ source: 'mmbc-reload', invoice: 'INV-1' });
    const polls = [
      { id: 'pol_2', watch_id: watch.id, poll: 2, started_at: '2026-11-22T03:00:40.000Z', latency_ms: 5000, outcome: 'timeout', detail: 'no answer in 5 s', status_code: null, inbound_id: 'inb_2' },
      { id: 'pol_1', watch_id: watch.id, poll: 1, started_at: '2026-11-22T03:00:10.000Z', latency_ms: 120, outcome: 'no_data', detail: 'No Data!', status_code: 200, inbound_id: 'inb_1' },
    ];
    await database.handle.db.insertInto('watch_polls').values(polls).execute();

    const res = await show(watch.id).expect(200);

    expect(res.body.polls).toEqual([
      { id: 'pol_1', poll: 1, startedAt: '2026-11-22T03:00:10.000Z', latencyMs: 120, outcome: 'no_data', detail: 'No Data!', statusCode: 200, inboundId: 'inb_1' },
      { id: 'pol_2', poll: 2, startedAt: '2026-11-22T03:00:40.000Z', latencyMs: 5000, outcome: 'timeout', detail: 'no answer in 5 s', statusCode: null, inboundId: 'inb_2' },
    ]);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await show('wch_nothing');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no watch wch_nothing' } });
  });
});

describe('DELETE /admin/watches/:id', () => {
  it('cancels an active watch: state canceled, ended now, no next poll', async () => {
    const watch = await register({ source: 'mmbc-reload', invoice: 'INV-1' });
    apps.deps.clock.advance(2_000);

    const res = await cancel(watch.id);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...watch, state: 'canceled', updatedAt: '2026-11-22T03:00:02.000Z', endedAt: '2026-11-22T03:00:02.000Z', nextPollAt: null });
    expect((await show(watch.id).expect(200)).body).toEqual({ ...res.body, polls: [] });
  });

  it('answers 200 with the same canceled watch when it is canceled again', async () => {
    const watch = await register({ source: 'mmbc-reload', invoice: 'INV-1' });
    apps.deps.clock.advance(2_000);
    const first = await cancel(watch.id).expect(200);
    apps.deps.clock.advance(60_000);

    const again = await cancel(watch.id);

    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  it('keeps a canceled watch: registering its (source, invoice) again answers it, canceled', async () => {
    const watch = await register({ source: 'mmbc-reload', invoice: 'INV-1' });
    const canceled = await cancel(watch.id).expect(200);

    const again = await post({ source: 'mmbc-reload', invoice: 'INV-1' });

    expect(again.status).toBe(200);
    expect(again.body).toEqual(canceled.body);
  });

  it.each(['done', 'expired'] as const)('answers 409 for a watch that is %s, and leaves it so', async (state) => {
    const watch = await register({ source: 'mmbc-reload', invoice: 'INV-1' });
    await setState(watch.id, state);
    const before = (await show(watch.id).expect(200)).body;

    const res = await cancel(watch.id);

    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: { code: 'conflict', message: `watch ${watch.id} is ${state}: only an active watch can be canceled` } });
    expect((await show(watch.id).expect(200)).body).toEqual(before);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await cancel('wch_nothing');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no watch wch_nothing' } });
  });
});

describe('watch routes without the admin token', () => {
  it.each([
    ['POST', '/admin/watches'],
    ['GET', '/admin/watches'],
    ['GET', '/admin/watches/wch_nothing'],
    ['DELETE', '/admin/watches/wch_nothing'],
  ])('answer 401 to %s %s, and change nothing', async (method, path) => {
    const watch = await register({ source: 'mmbc-reload', invoice: 'INV-1' });
    const target = path.replace('wch_nothing', watch.id);
    const call = request(apps.adminApp)[method.toLowerCase() as 'get' | 'post' | 'delete'](target);

    const res = await call.send({ source: 'mmbc-reload', invoice: 'INV-2' });

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'a valid admin bearer token is required' } });
    expect(await watchCount()).toBe(1);
    expect((await show(watch.id).expect(200)).body.state).toBe('active');
  });

  it('answers 401 to a wrong token', async () => {
    await request(apps.adminApp).get('/admin/watches').set('Authorization', 'Bearer nope').expect(401);
  });
});
