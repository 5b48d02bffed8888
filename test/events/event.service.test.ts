import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newId } from '../../src/clock';
import type { Writes } from '../../src/db/group-commit';
import type { Status, StatusReport } from '../../src/events/event';
import * as eventRepository from '../../src/events/event.repository';
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
  return storeThrough(database.handle.writes, reports);
}

function storeThrough(writes: Writes, reports: readonly StatusReport[]) {
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
  return inboundService.storeAccepted(writes, { clock, subscribers: [] }, request, reports, { status: 200, body: 'ok' });
}

async function history(reference: string) {
  const events = await database.handle.db
    .selectFrom('events')
    .select(['status', 'stale', 'reversal', 'transaction_seq'])
    .where('reference', '=', reference)
    .orderBy('transaction_seq')
    .execute();
  return events.map((e) => `${e.transaction_seq}:${e.status}${e.stale ? ' (stale)' : ''}${e.reversal ? ' (reversal)' : ''}`);
}

async function paymentEvent(id: string | undefined) {
  const row = await eventRepository.findEvent(database.handle.db, id ?? '');
  if (!row) throw new Error(`no event ${id ?? ''}`);
  return eventRepository.toPaymentEvent(row);
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

  it('moves PENDING straight to REFUNDED, and SUCCESS to REFUNDED, as forward moves', async () => {
    await store(report('T7', 'PENDING'));
    const pendingToRefunded = await store(report('T7', 'REFUNDED'));
    await store(report('T8', 'SUCCESS'));
    const successToRefunded = await store(report('T8', 'REFUNDED'));

    expect([pendingToRefunded.reversals, successToRefunded.reversals]).toEqual([[], []]);
    expect(await transactionRepository.findTransaction(database.handle.db, 'bank-x', 'T7')).toMatchObject({ status: 'REFUNDED' });
    expect(await transactionRepository.findTransaction(database.handle.db, 'bank-x', 'T8')).toMatchObject({ status: 'REFUNDED' });
    expect([await history('T7'), await history('T8')]).toEqual([
      ['1:PENDING', '2:REFUNDED'],
      ['1:SUCCESS', '2:REFUNDED'],
    ]);
  });

  it.each<[string, Status]>([
    ['T9', 'FAILED'],
    ['T10', 'CANCELED'],
  ])('marks %s, a %s after SUCCESS, as a reversal and moves the transaction', async (reference, status) => {
    await store(report(reference, 'SUCCESS'));
    const reversal = await store(report(reference, status));

    const eventId = reversal.createdEventIds[0];
    expect(reversal.reversals).toEqual([{ eventId, report: report(reference, status), from: 'SUCCESS' }]);
    const transaction = await transactionRepository.findTransaction(database.handle.db, 'bank-x', reference);
    expect(transaction).toMatchObject({ status, status_event_id: eventId, event_count: 2 });
    expect(await history(reference)).toEqual(['1:SUCCESS', `2:${status} (reversal)`]);
    const { data } = await paymentEvent(eventId);
    expect(data).toMatchObject({ status, reversal: true });
    expect(data).not.toHaveProperty('stale');
  });

  it('keeps a SUCCESS after FAILED stale and the transaction FAILED', async () => {
    const failed = await store(report('T11', 'FAILED'));
    const late = await store(report('T11', 'SUCCESS'));

    expect(late.reversals).toEqual([]);
    const transaction = await transactionRepository.findTransaction(database.handle.db, 'bank-x', 'T11');
    expect(transaction).toMatchObject({ status: 'FAILED', status_event_id: failed.createdEventIds[0] });
    expect(await history('T11')).toEqual(['1:FAILED', '2:SUCCESS (stale)']);
    const { data } = await paymentEvent(late.createdEventIds[0]);
    expect(data).toMatchObject({ stale: true });
    expect(data).not.toHaveProperty('reversal');
  });

  it('keeps a FAILED after REFUNDED stale, not a reversal: the money already went back', async () => {
    await store(report('T12', 'SUCCESS'));
    const refunded = await store(report('T12', 'REFUNDED'));
    const late = await store(report('T12', 'FAILED'));

    expect(late.reversals).toEqual([]);
    const transaction = await transactionRepository.findTransaction(database.handle.db, 'bank-x', 'T12');
    expect(transaction).toMatchObject({ status: 'REFUNDED', status_event_id: refunded.createdEventIds[0] });
    expect(await history('T12')).toEqual(['1:SUCCESS', '2:REFUNDED', '3:FAILED (stale)']);
  });

  it('makes no event for a repeated report and names the event it repeats', async () => {
    const first = await store(report('T3', 'FAILED'));
    const again = await store(report('T3', 'FAILED'));

    expect(again).toEqual({ createdEventIds: [], createdReports: [], duplicateOf: first.createdEventIds, reversals: [] });
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

describe('two processes storing the same reports at the same moment', () => {
  it('make each event once, and give the transaction one gap-free history', async () => {
    const second = database.reopen();
    const statuses: Status[] = ['PENDING', 'SUCCESS', 'FAILED'];
    const reports = Array.from({ length: 30 }, (_, n) => report(`RACE-${n % 5}`, statuses[n % 3] ?? 'PENDING'));
    try {
      // Each report is sent to both processes, interleaved, as a provider retrying against two replicas would.
      await Promise.all(reports.flatMap((r) => [storeThrough(database.handle.writes, [r]), storeThrough(second.writes, [r])]));
    } finally {
      await second.close();
    }

    for (let n = 0; n < 5; n++) {
      const seqs = (await history(`RACE-${n}`)).map((line) => line.split(':')[0]);
      const transaction = await transactionRepository.findTransaction(database.handle.db, 'bank-x', `RACE-${n}`);
      expect(seqs).toEqual(['1', '2', '3']);
      expect(transaction?.event_count).toBe(3);
    }
  });
});

