import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import { createAdminApp } from '../../src/app';
import { newId } from '../../src/clock';
import type { InboundOutcome } from '../../src/ingress/inbound.table';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, billerSource, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { snapSource } from '../support/snap';
import { subscriberConfig } from '../support/subscriber';

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
  apps = buildApps(database, buildConfig({ sources: [billerSource(), snapSource()], subscribers: [subscriberConfig('http://127.0.0.1:9/hooks')] }));
});

/** A request as an earlier version of the service stored it, whose parser made no event of it. */
async function storedRequest(fields: { channel: string; sourceId: string; url: string; body?: string; outcome?: InboundOutcome }): Promise<string> {
  const id = newId('inb', apps.deps.clock);
  await database.handle.db
    .insertInto('inbound_records')
    .values({
      id,
      request_id: 'old',
      received_at: '2026-11-21T03:00:00.000Z',
      source_id: fields.sourceId,
      channel: fields.channel,
      client_ip: '127.0.0.1',
      method: fields.body ? 'POST' : 'GET',
      url: fields.url,
      headers: '{}',
      body: fields.body ?? null,
      outcome: fields.outcome ?? 'accepted',
      reason: null,
      response_status: 200,
      response_body: 'OK',
    })
    .execute();
  return id;
}

const reprocess = (id: string) => request(apps.adminApp).post(`/admin/inbound/${id}/reprocess`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

describe('POST /admin/inbound/:id/reprocess', () => {
  it('derives the missing event of a stored Biller reversal once, and only once', async () => {
    const id = await storedRequest({
      channel: 'biller',
      sourceId: 'biller-a',
      url: '/callbacks/biller/biller-a/[REDACTED]?status=0&refid=OLD-1&message=Transaksi+s5.1+SUKSES,+SN:+777,+Harga:+201,200,+Tgl:+20/11+10:00:00',
    });

    const first = await reprocess(id);
    const second = await reprocess(id);

    expect(first.status).toBe(200);
    expect(first.body.events).toHaveLength(1);
    expect(first.body.duplicateOf).toEqual([]);
    expect(second.body).toEqual({ events: [], duplicateOf: first.body.events });
    const events = await database.handle.db.selectFrom('events').selectAll().execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      inbound_id: id,
      reference: 'OLD-1',
      provider_reference: '777',
      amount_value: '201200.00',
      status: 'SUCCESS',
      received_at: '2026-11-21T03:00:00.000Z',
      occurred_at: '2026-11-20T03:00:00.000Z',
    });
    const deliveries = await database.handle.db.selectFrom('deliveries').select(['event_id', 'state']).execute();
    expect(deliveries).toEqual([{ event_id: events[0]?.id, state: 'pending' }]);
  });

  it('derives the events of a stored SNAP notify', async () => {
    const body = readFileSync(join(__dirname, '../../fixtures/snap/bulk-cashin-notify.json'), 'utf8');
    const id = await storedRequest({ channel: 'snap.bulk-cashin', sourceId: 'bank-x', url: '/v1.0/emoney/bulk-cashin-notify', body });

    const res = await reprocess(id);

    expect(res.body.events).toHaveLength(1);
    const event = await database.handle.db.selectFrom('events').selectAll().executeTakeFirstOrThrow();
    expect(event).toMatchObject({ channel: 'snap.bulk-cashin', reference: '2020102900000000000990', status: 'SUCCESS' });
  });

  it('counts and logs a reversal that re-processing reveals, as a live one would be', async () => {
    const logLines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) });
    const adminApp = createAdminApp({ ...apps.deps, logger });
    const reprocessHere = (id: string) =>
      request(adminApp).post(`/admin/inbound/${id}/reprocess`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    const sale = await storedRequest({ channel: 'biller', sourceId: 'biller-a', url: '/callbacks/biller/biller-a?status=0&refid=OLD-2' });
    const takenBack = await storedRequest({ channel: 'biller', sourceId: 'biller-a', url: '/callbacks/biller/biller-a?status=1&refid=OLD-2' });

    await reprocessHere(sale);
    const res = await reprocessHere(takenBack);

    const metrics = await request(adminApp).get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    expect(metrics.text).toContain('receiver_reversals_total{source="biller-a",channel="biller",status="FAILED"} 1');
    expect(logLines.filter((line) => line.level === 40)).toEqual([
      expect.objectContaining({ eventId: res.body.events[0], source: 'biller-a', reference: 'OLD-2', from: 'SUCCESS', to: 'FAILED' }),
    ]);
  });

  it.each([
    ['a rejected request', { outcome: 'rejected' as const }, /was rejected/],
    ['an access-token request', { channel: 'snap.access-token', sourceId: 'bank-x', body: '{"grantType":"client_credentials"}' }, /carry no status reports/],
    ['a source no longer configured', { sourceId: 'gone' }, /source "gone" is no longer configured/],
    ['a request today\'s parser refuses', { url: '/callbacks/biller/biller-a?status=9&refid=X' }, /today's parser refuses .*: status must be 0 or 1/],
  ])('answers 409 for %s', async (_what, fields, message) => {
    const id = await storedRequest({ channel: 'biller', sourceId: 'biller-a', url: '/callbacks/biller/biller-a?status=0&refid=X', ...fields });

    const res = await reprocess(id);

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.error.message).toMatch(message);
  });

  it('answers 404 for an unknown record', async () => {
    await reprocess('inb_none').expect(404);
  });
});
