import type { Clock } from '../clock';
import type { Subscriber } from '../config/config';
import type { Db } from '../db/database';
import { refreshStatistics } from '../db/dialect';
import type { Channel, Status } from '../events/event';
import * as eventRepository from '../events/event.repository';
import type { EventRow } from '../events/event.table';
import * as deliveryRepository from './delivery.repository';
import { deliveriesFor } from './outbox';

/** An operator named a subscriber the configuration does not have. */
export class UnknownSubscriberError extends Error {
  override readonly name = 'UnknownSubscriberError';
}

export interface ReplayCounts {
  readonly events: number;
  readonly deliveries: number;
}

export interface ReplayOptions {
  /** Narrows the subscribers; each still gets only events its filter takes. */
  readonly subscriberIds?: readonly string[];
  /** Count what would be queued, write nothing. */
  readonly dryRun?: boolean;
  readonly batchSize?: number;
  readonly onProgress?: (counts: ReplayCounts) => void;
}

const DEFAULT_BATCH = 500;
/** From this many queued deliveries on, the claim's plan must know of them at once. */
const BULK_DELIVERIES = 1000;

/**
 * Queues stored events again as new deliveries: fresh attempts, the event's own id as
 * `webhook-id` (subscribers dedupe on it), per-reference order kept by the event's position.
 * Events are read and queued in batches, oldest first, one transaction per batch, yielding to
 * the event loop between batches: a replay of 100,000 events holds one batch in memory at a time
 * and lets requests through meanwhile.
 */
export async function replayEvents(
  db: Db,
  clock: Clock,
  subscribers: readonly Subscriber[],
  filter: eventRepository.EventFilter,
  options: ReplayOptions = {},
): Promise<ReplayCounts> {
  const targets = chooseSubscribers(subscribers, options.subscriberIds);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  let counts = { events: 0, deliveries: 0 };
  let after: eventRepository.PageCursor | undefined;
  for (;;) {
    const batch = await eventRepository.listEvents(db, filter, batchSize, after, 'oldest');
    if (batch.length === 0) {
      if (!options.dryRun && counts.deliveries >= BULK_DELIVERIES) await refreshStatistics(db, 'deliveries');
      return counts;
    }
    const rows = batch.flatMap((event) => deliveriesFor(toOutboxEvent(event), targets, clock));
    if (!options.dryRun) await db.transaction().execute((trx) => deliveryRepository.insertDeliveries(trx, rows));
    counts = { events: counts.events + batch.length, deliveries: counts.deliveries + rows.length };
    options.onProgress?.(counts);
    const last = batch[batch.length - 1] as EventRow;
    after = { at: last.created_at, id: last.id };
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Replays one event; answers how many deliveries were queued (undefined: no such event). */
export async function replayEvent(
  db: Db,
  clock: Clock,
  subscribers: readonly Subscriber[],
  eventId: string,
  options: Pick<ReplayOptions, 'subscriberIds' | 'dryRun'> = {},
): Promise<number | undefined> {
  const targets = chooseSubscribers(subscribers, options.subscriberIds);
  const event = await eventRepository.findEvent(db, eventId);
  if (!event) return undefined;
  const rows = deliveriesFor(toOutboxEvent(event), targets, clock);
  if (!options.dryRun) await db.transaction().execute((trx) => deliveryRepository.insertDeliveries(trx, rows));
  return rows.length;
}

function chooseSubscribers(subscribers: readonly Subscriber[], ids: readonly string[] | undefined): readonly Subscriber[] {
  if (ids === undefined) return subscribers;
  for (const id of ids) {
    if (!subscribers.some((s) => s.id === id)) throw new UnknownSubscriberError(`no subscriber "${id}"`);
  }
  return subscribers.filter((s) => ids.includes(s.id));
}

function toOutboxEvent(row: EventRow) {
  return {
    id: row.id,
    source: row.source_id,
    channel: row.channel as Channel,
    reference: row.reference,
    status: row.status as Status,
    seq: row.transaction_seq,
  };
}
