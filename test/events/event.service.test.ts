import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newId } from '../../src/clock';
import type { Status, StatusReport } from '../../src/events/event';
import * as transactionRepository from '../../src/events/transaction.repository';
import * as inboundService from '../../src/ingress/inbound.service';
import { testClock } from '../support/clock';
import { type TestDatabase, createTestDatabase } from '../support/database';

let database: TestDatabase;
const clock = testClock();

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

function report(reference: string, status: Status): StatusReport {
  return {
    source: 'bank-x',
    channel: 'snap.qr-cpm',
    reference,
    providerReference: `P-${reference}`,
    status,
    providerStatus: '00',
    amount: { value: '50000.00', currency: 'IDR' },
    occurredAt: null,
    details: {},
  };
}

async function store(...reports: StatusReport[]) {
  clock.advance(1000);
  const request = {
    id: newId('inb', clock),
    requestId: 'r',
    receivedAt: clock.now().toISOString(),
    sourceId: 'bank-x',
    channel: 'snap.qr-cpm',
    clientIp: '127.0.0.1',
    method: 'POST',
    url: '/v1.0/qr/qr-cpm-notify',
    headers: {},
    body: '{}',
  };
  return inboundService.storeAccepted(database.handle.db, { clock, subscribers: [] }, request, reports, { status: 200, body: 'ok' });
}

async function history(reference: string) {
  const events = await database.handle.db
    .selectFrom('events')
    .select(['status', 'stale', 'transaction_seq'])
    .where('reference', '=', reference)
    .orderBy('transaction_seq')
    .execute();
  return events.map((e) => `${e.transaction_seq}:${e.status}${e.stale ? ' (stale)' : ''}`);
}

describe('transaction state machine', () => {
  it('moves forward PENDING → SUCCESS → REFUNDED', async () => {
    await store(report('T1', 'PENDING'));
    await store(report('T1', 'SUCCESS'));
    const last = await store(report('T1', 'REFUNDED'));

    const transaction = await transactionRepository.findTransaction(database.handle.db, 'bank-x', 'T1');
    expect(transaction).toMatchObject({ status: 'REFUNDED', status_event_id: last.createdEventIds[0], event_count: 3 });
    expect(await history('T1')).toEqual(['1:PENDING', '2:SUCCESS', '3:REFUNDED']);
  });

  it('stores a backwards move as a stale event and keeps the current status', async () => {
    const success = await store(report('T2', 'SUCCESS'));
    const late = await store(report('T2', 'PENDING'));

    expect(late.createdEventIds).toHaveLength(1);
    const transaction = await transactionRepository.findTransaction(database.handle.db, 'bank-x', 'T2');
    expect(transaction).toMatchObject({ status: 'SUCCESS', status_event_id: success.createdEventIds[0], event_count: 2 });
    expect(await history('T2')).toEqual(['1:SUCCESS', '2:PENDING (stale)']);
  });

  it('makes no event for a repeated report and names the event it repeats', async () => {
    const first = await store(report('T3', 'FAILED'));
    const again = await store(report('T3', 'FAILED'));

    expect(again).toEqual({ createdEventIds: [], createdReports: [], duplicateOf: first.createdEventIds });
    expect(await history('T3')).toEqual(['1:FAILED']);
  });

  it('makes one event when the same report arrives twice at once', async () => {
    const results = await Promise.all([store(report('T4', 'SUCCESS')), store(report('T4', 'SUCCESS'))]);

    expect(results.flatMap((r) => r.createdEventIds)).toHaveLength(1);
    expect(results.flatMap((r) => r.duplicateOf)).toHaveLength(1);
    expect(await history('T4')).toEqual(['1:SUCCESS']);
  });

  it('keeps each report of a multi-report request apart', async () => {
    const result = await store(report('T5', 'SUCCESS'), report('T6', 'PENDING'), report('T5', 'SUCCESS'));

    expect(result.createdEventIds).toHaveLength(2);
    expect(result.duplicateOf).toEqual([result.createdEventIds[0]]);
  });
});
