import { newId } from '../../src/clock';
import type { Subscriber } from '../../src/config/config';
import type { Db } from '../../src/db/database';
import { ownTransactions } from '../../src/db/group-commit';
import type { Channel, Status, StatusReport } from '../../src/events/event';
import * as inboundService from '../../src/ingress/inbound.service';
import type { TestClock } from './clock';

/**
 * Stores one accepted report of bank-x as a callback would, with a delivery for each subscriber
 * whose filter takes it; answers the event id. The clock moves a millisecond first, so events
 * stored one after another are created in that order.
 */
export async function storeEvent(
  db: Db,
  clock: TestClock,
  subscribers: readonly Subscriber[],
  reference: string,
  status: Status,
  channel: Channel = 'snap.qr-cpm',
): Promise<string> {
  clock.advance(1);
  const report: StatusReport = {
    source: 'bank-x',
    channel,
    reference,
    providerReference: null,
    status,
    providerStatus: status,
    amount: { value: '50000.00', currency: 'IDR' },
    occurredAt: null,
    details: {},
  };
  const request = {
    id: newId('inb', clock),
    requestId: 'r',
    receivedAt: clock.now().toISOString(),
    sourceId: 'bank-x',
    channel,
    clientIp: '127.0.0.1',
    method: 'POST',
    url: '/',
    headers: {},
    body: null,
  };
  const result = await inboundService.storeAccepted(ownTransactions(db), { clock, subscribers }, request, [report], { status: 200, body: 'ok' });
  return result.createdEventIds[0] ?? '';
}
