import type { Clock } from '../clock';
import type { Subscriber } from '../config/config';
import type { Db } from '../db/database';
import * as deliveryRepository from './delivery.repository';
import { UnknownSubscriberError } from './replay.service';
import * as pauseRepository from './subscriber-pause.repository';

/** A configured subscriber as operators see it: paused or not, and its backlog. */
export interface SubscriberStatus {
  readonly subscriber: Subscriber;
  /** When an operator paused it; null while it is not paused. */
  readonly pausedAt: string | null;
  readonly backlog: deliveryRepository.SubscriberBacklog;
}

/** The subscriber with this id; UnknownSubscriberError when the configuration has none. */
export function findSubscriber(subscribers: readonly Subscriber[], id: string): Subscriber {
  const subscriber = subscribers.find((candidate) => candidate.id === id);
  if (!subscriber) throw new UnknownSubscriberError(`no subscriber ${id} is configured`);
  return subscriber;
}

/** Every configured subscriber, in configuration order. */
export async function subscriberStatuses(db: Db, subscribers: readonly Subscriber[]): Promise<SubscriberStatus[]> {
  const [backlogs, paused] = await Promise.all([
    deliveryRepository.subscriberBacklogs(db, subscribers.map((subscriber) => subscriber.id)),
    pauseRepository.pausedSince(db),
  ]);
  return subscribers.map((subscriber) => ({
    subscriber,
    pausedAt: paused.get(subscriber.id) ?? null,
    backlog: backlogs.get(subscriber.id) ?? { pending: 0, dead: 0, oldestPendingAt: null },
  }));
}

/**
 * Stops every process from claiming the subscriber's deliveries: they stay pending, in order,
 * until it is resumed. Attempts already under way finish. Pausing a paused subscriber changes nothing.
 */
export async function pauseSubscriber(db: Db, clock: Clock, subscribers: readonly Subscriber[], id: string): Promise<SubscriberStatus> {
  const subscriber = findSubscriber(subscribers, id);
  await pauseRepository.pause(db, subscriber.id, clock.now().toISOString());
  return statusOf(db, subscriber);
}

/** Lets the subscriber's deliveries go out again; the caller wakes the outbox. */
export async function resumeSubscriber(db: Db, subscribers: readonly Subscriber[], id: string): Promise<SubscriberStatus> {
  const subscriber = findSubscriber(subscribers, id);
  await pauseRepository.resume(db, subscriber.id);
  return statusOf(db, subscriber);
}

async function statusOf(db: Db, subscriber: Subscriber): Promise<SubscriberStatus> {
  const [status] = await subscriberStatuses(db, [subscriber]);
  return status as SubscriberStatus;
}
