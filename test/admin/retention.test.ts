import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newId } from '../../src/clock';
import { pruneOnce } from '../../src/admin/retention';
import * as inboundService from '../../src/ingress/inbound.service';
import { testClock } from '../support/clock';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { subscriberConfig } from '../support/subscriber';

let database: TestDatabase;
const clock = testClock('2026-08-01T00:00:00.000Z');

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

/** A stored biller report with one delivery in `state`, and one attempt, at the clock's time. */
async function seed(reference: string, state: 'delivered' | 'dead'): Promise<void> {
  const subscribers = [subscriberConfig('http://127.0.0.1:9/hooks')];
  const request = { id: newId('inb', clock), requestId: 'r', receivedAt: clock.now().toISOString(), sourceId: 'biller-a', channel: 'biller', clientIp: '127.0.0.1', method: 'GET', url: '/', headers: {}, body: null };
  const report = { source: 'biller-a', channel: 'biller' as const, reference, providerReference: null, status: 'SUCCESS' as const, providerStatus: '0', amount: null, occurredAt: null, details: {} };
  await inboundService.storeAccepted(database.handle.writes, { clock, subscribers }, request, [report], { status: 200, body: 'OK' });
  const delivery = await database.handle.db.selectFrom('deliveries').select('id').where('reference', '=', reference).executeTakeFirstOrThrow();
  await database.handle.db.updateTable('deliveries').set({ state }).where('id', '=', delivery.id).execute();
  await database.handle.db
    .insertInto('delivery_attempts')
    .values({ id: newId('att', clock), delivery_id: delivery.id, attempt: 1, started_at: clock.now().toISOString(), latency_ms: 5, status_code: 200, error: null, response_body: '', outcome: state })
    .execute();
}

describe('pruneOnce', () => {
  it('deletes old raw records and attempts of delivered deliveries, and keeps every event', async () => {
    await seed('OLD-DELIVERED', 'delivered');
    await seed('OLD-DEAD', 'dead');
    clock.advance(40 * 24 * 3600_000);
    await seed('NEW-DELIVERED', 'delivered');
    clock.advance(24 * 3600_000);

    const [oldEvent] = await database.handle.db.selectFrom('events').select(['id', 'inbound_id']).where('reference', '=', 'OLD-DEAD').execute();
    const [newEvent] = await database.handle.db.selectFrom('events').select(['id', 'inbound_id']).where('reference', '=', 'NEW-DELIVERED').execute();
    await database.handle.db
      .insertInto('event_repeats')
      .values([
        { event_id: oldEvent?.id ?? '', inbound_id: oldEvent?.inbound_id ?? '', received_at: '2026-08-01T00:00:00.000Z' },
        { event_id: newEvent?.id ?? '', inbound_id: newEvent?.inbound_id ?? '', received_at: clock.now().toISOString() },
      ])
      .execute();

    const counts = await pruneOnce(database.handle.db, clock, 30);

    expect(counts).toMatchObject({ inboundRecords: 2, deliveryAttempts: 1 });
    // Links to repeated reports go with the records they point at.
    expect(await database.handle.db.selectFrom('event_repeats').select('event_id').execute()).toEqual([{ event_id: newEvent?.id }]);
    const events = await database.handle.db.selectFrom('events').select(['reference', 'inbound_id']).orderBy('reference').execute();
    expect(events.map((e) => [e.reference, e.inbound_id === null])).toEqual([
      ['NEW-DELIVERED', false],
      ['OLD-DEAD', true],
      ['OLD-DELIVERED', true],
    ]);
    const attempts = await database.handle.db
      .selectFrom('delivery_attempts as a')
      .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
      .select('d.reference')
      .orderBy('d.reference')
      .execute();
    expect(attempts.map((a) => a.reference)).toEqual(['NEW-DELIVERED', 'OLD-DEAD']);
    expect((await database.handle.db.selectFrom('deliveries').select('id').execute())).toHaveLength(3);
  });

  it('deletes the old polls of watches that ended, and keeps those of active watches and every watch', async () => {
    const old = new Date(clock.now().getTime() - 40 * 24 * 3600_000).toISOString();
    const watch = { source_id: 'mmbc-reload', customer_number: null, created_at: old, updated_at: old, deadline_at: old, next_poll_at: old, last_polled_at: null, last_outcome: null, last_answer: null, ended_at: null, lease_owner: null, lease_expires_at: null };
    await database.handle.db
      .insertInto('watches')
      .values([
        { ...watch, id: 'wch_done', invoice: 'I-DONE', state: 'done' },
        { ...watch, id: 'wch_active', invoice: 'I-ACTIVE', state: 'active' },
      ])
      .execute();
    const poll = { poll: 1, started_at: old, latency_ms: 3, outcome: 'no_data', detail: 'No Data!', status_code: 200, inbound_id: 'inb_gone' };
    await database.handle.db
      .insertInto('watch_polls')
      .values([
        { ...poll, id: 'pol_done', watch_id: 'wch_done' },
        { ...poll, id: 'pol_active', watch_id: 'wch_active' },
      ])
      .execute();

    const counts = await pruneOnce(database.handle.db, clock, 30);

    expect(counts.watchPolls).toBe(1);
    expect(await database.handle.db.selectFrom('watch_polls').select('id').execute()).toEqual([{ id: 'pol_active' }]);
    expect(await database.handle.db.selectFrom('watches').select('id').execute()).toHaveLength(2);
  });

  it('removes expired access tokens and idempotency keys older than two days', async () => {
    const now = clock.now().getTime();
    const at = (ms: number) => new Date(now + ms).toISOString();
    await database.handle.db
      .insertInto('access_tokens')
      .values([
        { token_hash: 'expired', source_id: 'bank-x', issued_at: at(-3 * 86400_000), expires_at: at(-2 * 86400_000) },
        { token_hash: 'live', source_id: 'bank-x', issued_at: at(0), expires_at: at(900_000) },
      ])
      .execute();
    const request = { channel: 'snap.qr-cpm', body_hash: 'h', inbound_id: 'inb_x', response_status: 200, response_body: '{}' };
    await database.handle.db
      .insertInto('snap_requests')
      .values([
        { ...request, source_id: 'bank-x', external_id: 'OLD', jakarta_day: '2026-01-01', created_at: at(-3 * 86400_000) },
        { ...request, source_id: 'bank-x', external_id: 'NEW', jakarta_day: '2026-09-11', created_at: at(0) },
      ])
      .execute();

    const counts = await pruneOnce(database.handle.db, clock, 30);

    expect(counts).toMatchObject({ accessTokens: 1, snapRequests: 1 });
    expect((await database.handle.db.selectFrom('access_tokens').select('token_hash').execute()).map((r) => r.token_hash)).toEqual(['live']);
    expect((await database.handle.db.selectFrom('snap_requests').select('external_id').execute()).map((r) => r.external_id)).toEqual(['NEW']);
  });
});
