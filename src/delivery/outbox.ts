import { type Clock, newId } from '../clock';
import type { Subscriber } from '../config/config';
import type { Channel, Status } from '../events/event';
import type { NewDeliveryRow } from './delivery.table';
import { wantsEvent } from './subscriber-filter';

export interface OutboxEvent {
  readonly id: string;
  readonly source: string;
  readonly channel: Channel;
  readonly reference: string;
  readonly status: Status;
  /** The event's position in its transaction's history. */
  readonly seq: number;
}

/** One pending delivery, due now, for each subscriber whose filter takes the event. */
export function deliveriesFor(event: OutboxEvent, subscribers: readonly Subscriber[], clock: Clock): NewDeliveryRow[] {
  const now = clock.now().toISOString();
  return subscribers
    .filter((subscriber) => wantsEvent(subscriber, event))
    .map((subscriber) => ({
      id: newId('dlv', clock),
      event_id: event.id,
      subscriber_id: subscriber.id,
      source_id: event.source,
      reference: event.reference,
      event_seq: event.seq,
      state: 'pending' as const,
      next_attempt_at: now,
      lease_owner: null,
      lease_expires_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
      delivered_at: null,
    }));
}
