import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Metrics } from '../admin/metrics';
import { type Clock, newId } from '../clock';
import type { Subscriber } from '../config/config';
import type { Db } from '../db/database';
import { type Writes, ownTransactions } from '../db/group-commit';
import * as eventRepository from '../events/event.repository';
import type { EventRow } from '../events/event.table';
import * as deliveryRepository from './delivery.repository';
import type { DeliveryRow } from './delivery.table';
import { fairShares } from './fair-share';
import { LeaseKeeper } from './lease-keeper';
import { nextWaitSeconds } from './retry-policy';
import { postWebhook } from './webhook-post';
import { webhookHeaders } from './webhook-signer';

export interface DispatcherOptions {
  readonly db: Db;
  /** Where attempts are recorded, sharing COMMITs with the ingest path; one transaction each when absent. */
  readonly writes?: Writes;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly subscribers: readonly Subscriber[];
  /** Attempts in flight at once in this process (DELIVERY_WORKERS), shared among subscribers. */
  readonly workers: number;
  /** How often to look for work other processes queued, in ms. */
  readonly pollMs?: number;
  /** How often leases of attempts in flight are renewed, in ms; 0: never (tests call `renewLeases()`). */
  readonly heartbeatMs?: number;
  readonly random?: () => number;
  readonly metrics?: Metrics;
  /**
   * The other processes on the same database (PostgreSQL LISTEN/NOTIFY): told when this one
   * queues deliveries, and waking it when they do. Absent where one process serves (SQLite).
   */
  readonly peers?: Peers;
}

/** Processes sharing the database, as the dispatcher needs them (`db/notify-channel` is one). */
export interface Peers {
  /** Tells the others that deliveries were committed; returns at once. */
  announce(): void;
  /** Calls `onAnnounce` whenever another process announces, until closed. */
  listen(onAnnounce: () => void, log: Logger): { close(): Promise<void> };
}

// Deliveries of subscribers this process does not know can only come from another configuration;
// looking for them every round would scan the whole due backlog, so it is done now and then.
const UNKNOWN_SUBSCRIBER_SWEEP_MS = 60_000;
// A subscriber counts as having work for this long after its last claim or attempt, so even
// shares hold across the instants its queue is empty between events.
const BUSY_WINDOW_MS = 10_000;

interface InFlight {
  readonly subscriberId: string;
  readonly done: Promise<void>;
}

/**
 * Delivers queued events to subscribers. `processDue()` works until nothing is due (tests drive
 * it with an injected clock); `start()` runs rounds whenever woken, when an attempt ends, when a
 * retry falls due, when another process announces deliveries it queued (`peers`), and every
 * `pollMs` for those whose announcement was missed. Each round shares
 * the free workers among subscribers with due work (see fairShares), never exceeding a
 * subscriber's `concurrency`: one that hangs holds no more than its share while others have work.
 */
export class DeliveryDispatcher {
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly subscribers: ReadonlyMap<string, Subscriber>;
  private readonly leases: LeaseKeeper;
  private readonly inFlight = new Map<string, InFlight>();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** Which subscriber is asked first next round, so ties in the fair share go round-robin. */
  private turn = 0;
  private unknownSweepAt = 0;
  private readonly busyUntil = new Map<string, number>();
  private ticking = false;
  private tickAgain = false;
  private readonly writes: Writes;
  /** The round running now, if any: stop() lets it finish. */
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  private listening: { close(): Promise<void> } | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.subscribers = new Map(options.subscribers.map((s) => [s.id, s]));
    const { db, clock, logger, heartbeatMs } = options;
    this.writes = options.writes ?? ownTransactions(db);
    this.leases = new LeaseKeeper({ db, clock, logger, owner: this.owner, heartbeatMs });
  }

  start(): void {
    if (this.options.workers <= 0 || this.running) return;
    this.running = true;
    this.listening = this.options.peers?.listen(() => this.look(), this.options.logger);
    this.look();
  }

  /**
   * New deliveries were committed: look now rather than at the next poll, and have the other
   * processes look too (they may have free workers, and this one may have none).
   */
  wake(): void {
    if (!this.stopped) this.options.peers?.announce();
    this.look();
  }

  private look(): void {
    if (!this.running) return;
    // During a round, a timer would be cleared by the round's own schedule() before it fired, and
    // the wake-up lost until the next poll: the round looks again instead.
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** Stops claiming; attempts in flight may finish within `graceMs`, the rest stays pending. */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.listening?.close();
    // A round claiming now starts its attempts before the database closes; they count as in flight below.
    await this.round;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.inFlight.values()].map((held) => held.done)),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timeout);
    // Attempts still running are abandoned: their leases run out and another process retries them.
    this.leases.stop();
  }

  /**
   * Claims deliveries due now as workers free up, sharing them among subscribers as the loop
   * does, until nothing is due and nothing is in flight. Answers how many attempts were made.
   */
  async processDue(): Promise<number> {
    let attempts = 0;
    for (;;) {
      const started = await this.claimAndStart();
      attempts += started.length;
      if (this.inFlight.size === 0) return attempts;
      await Promise.race([...this.inFlight.values()].map((held) => held.done));
    }
  }

  /**
   * Extends the lease of every attempt in flight, as the heartbeat does every few seconds; tests
   * call it to renew at the time their clock says.
   */
  renewLeases(): Promise<void> {
    return this.leases.renew();
  }

  private tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.round;
    }
    this.ticking = true;
    this.round = this.runRounds();
    return this.round;
  }

  private async runRounds(): Promise<void> {
    try {
      do {
        this.tickAgain = false;
        const started = await this.claimAndStart();
        for (const attempt of started) void attempt.then(() => this.look());
      } while (this.tickAgain && this.running);
      await this.scheduleNext();
    } catch (error) {
      this.options.logger.error({ err: error }, 'delivery round failed');
      this.schedule(this.options.pollMs ?? 1000);
    } finally {
      this.ticking = false;
      // A wake() that came while the next due time was being read must not wait for the poll.
      if (this.tickAgain && this.running) this.look();
    }
  }

  private async scheduleNext(): Promise<void> {
    if (!this.running) return;
    const poll = this.options.pollMs ?? 1000;
    const now = this.options.clock.now();
    const due = await deliveryRepository.nextDueAt(this.options.db, now.toISOString());
    const untilDue = due === null ? poll : Date.parse(due) - now.getTime();
    this.schedule(Math.max(10, Math.min(poll, untilDue)));
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async claimAndStart(): Promise<Promise<void>[]> {
    const { db, clock } = this.options;
    let free = Math.max(1, this.options.workers) - this.inFlight.size;
    if (free <= 0) return [];
    const now = clock.now();
    const claimed: DeliveryRow[] = [];
    if (now.getTime() >= this.unknownSweepAt) {
      const known = [...this.subscribers.keys()];
      const orphans = await this.writes.run((trx) =>
        deliveryRepository.claimUnknownSubscribers(trx, this.owner, now.toISOString(), this.leases.leaseUntil(), known, free),
      );
      // Found some: there may be more, so look again next round rather than in a minute.
      this.unknownSweepAt = orphans.length > 0 ? 0 : now.getTime() + UNKNOWN_SUBSCRIBER_SWEEP_MS;
      claimed.push(...orphans);
      free -= orphans.length;
    }
    const queues = this.subscribersInTurn()
      .map((subscriber) => ({ subscriber, subscriberId: subscriber.id, room: Math.min(free, subscriber.concurrency - this.inFlightTo(subscriber.id)) }))
      .filter((queue) => queue.room > 0);
    if (free > 0 && queues.length > 0) {
      const allot = (found: readonly number[]) => {
        const busy = this.busySubscribers(now.getTime(), queues.filter((_, i) => (found[i] ?? 0) > 0).map((queue) => queue.subscriberId));
        const demands = queues.map((queue, i) => {
          const inFlight = this.inFlightTo(queue.subscriberId);
          return { inFlight, due: Math.min(found[i] ?? 0, Math.max(0, this.capOf(queue.subscriber, busy) - inFlight)) };
        });
        return fairShares(demands, free);
      };
      // Claims share COMMITs with callbacks and finished attempts: a lease is committed before its POST.
      claimed.push(...(await this.writes.run((trx) => deliveryRepository.claimDue(trx, this.owner, now.toISOString(), this.leases.leaseUntil(), queues, allot))));
    }
    for (const delivery of claimed) this.busyUntil.set(delivery.subscriber_id, now.getTime() + BUSY_WINDOW_MS);
    if (claimed.length === 0) return [];
    // One read for the events of every claimed delivery, rather than one per attempt.
    const events = await eventRepository.findEvents(db, [...new Set(claimed.map((delivery) => delivery.event_id))]);
    return claimed.map((delivery) => this.begin(delivery, events.get(delivery.event_id)));
  }

  /** How many subscribers have work now (`withDue`, or attempts in flight) or had some within the window. */
  private busySubscribers(now: number, withDue: readonly string[]): number {
    const active = [...withDue, ...[...this.inFlight.values()].map((held) => held.subscriberId)];
    for (const subscriberId of active) this.busyUntil.set(subscriberId, now + BUSY_WINDOW_MS);
    let busy = 0;
    for (const until of this.busyUntil.values()) if (until > now) busy++;
    return busy;
  }

  /**
   * A subscriber's `concurrency`, capped so that one that hangs cannot hold the workers others
   * need: while several subscribers have work, each holds at most an even share of the workers
   * (freed workers would otherwise drift to the hanging one, whose attempts end only at its
   * timeout); alone with work, it may use all but one, kept free for the next event to another.
   */
  private capOf(subscriber: Subscriber, busy: number): number {
    const workers = Math.max(1, this.options.workers);
    if (this.subscribers.size <= 1 || workers <= 1) return subscriber.concurrency;
    const share = busy >= 2 ? Math.max(1, Math.ceil(workers / busy)) : workers - 1;
    return Math.min(subscriber.concurrency, share);
  }

  private subscribersInTurn(): Subscriber[] {
    const all = [...this.subscribers.values()];
    if (all.length === 0) return all;
    const start = this.turn % all.length;
    this.turn = start + 1;
    return [...all.slice(start), ...all.slice(0, start)];
  }

  private inFlightTo(subscriberId: string): number {
    let count = 0;
    for (const attempt of this.inFlight.values()) if (attempt.subscriberId === subscriberId) count++;
    return count;
  }

  private begin(delivery: DeliveryRow, event: EventRow | undefined): Promise<void> {
    const done = this.attempt(delivery, event)
      .catch((error: unknown) => {
        // The lease runs out and the delivery is tried again: nothing is lost.
        this.options.logger.error({ err: error, deliveryId: delivery.id }, 'delivery attempt could not be recorded');
      })
      .finally(() => {
        this.inFlight.delete(delivery.id);
        this.leases.release(delivery.id);
      });
    this.inFlight.set(delivery.id, { subscriberId: delivery.subscriber_id, done });
    this.leases.hold(delivery.id);
    return done;
  }

  private async attempt(delivery: DeliveryRow, event: EventRow | undefined): Promise<void> {
    const { clock, logger } = this.options;
    const subscriber = this.subscribers.get(delivery.subscriber_id);
    const startedAt = clock.now();
    const attemptNo = delivery.attempts + 1;
    const record = (fields: { statusCode: number | null; error: string | null; body: string | null; latencyMs: number }) => ({
      id: newId('att', clock),
      delivery_id: delivery.id,
      attempt: attemptNo,
      started_at: startedAt.toISOString(),
      latency_ms: Math.round(fields.latencyMs),
      status_code: fields.statusCode,
      error: fields.error,
      response_body: fields.body,
    });

    if (!subscriber) {
      // Removed from the config since: nobody to deliver to, and visible as dead.
      await this.writes.run((trx) => deliveryRepository.finishAttempt(trx, delivery.id, this.owner, {
        attempt: { ...record({ statusCode: null, error: 'subscriber no longer configured', body: null, latencyMs: 0 }), outcome: 'dead' },
        state: 'dead',
        nextAttemptAt: startedAt.toISOString(),
        lastError: 'subscriber no longer configured',
        at: startedAt.toISOString(),
      }));
      return;
    }

    if (!event) throw new Error(`event ${delivery.event_id} of delivery ${delivery.id} is missing`);
    const payload = eventRepository.toPaymentEvent(event);
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const headers = webhookHeaders(subscriber.secrets, payload.id, timestamp, body);
    const t0 = performance.now();
    const result = await postWebhook(subscriber.url, headers, body, subscriber.timeoutSeconds * 1000);
    const latencyMs = performance.now() - t0;

    const finishedAt = clock.now();
    const delivered = result.ok && result.statusCode >= 200 && result.statusCode < 300;
    const statusCode = result.ok ? result.statusCode : null;
    const error = result.ok ? (delivered ? null : `HTTP ${result.statusCode}`) : result.error;
    const wait = delivered
      ? null
      : nextWaitSeconds(subscriber.retrySchedule, { attempt: attemptNo, statusCode, retryAfter: result.ok ? result.retryAfter : null }, finishedAt, this.options.random);
    const state = delivered ? 'delivered' : wait === null ? 'dead' : 'pending';
    const nextAttemptAt = new Date(finishedAt.getTime() + (wait ?? 0) * 1000).toISOString();
    const outcome = delivered ? 'delivered' : state === 'dead' ? 'dead' : 'retry';
    const kept = await this.writes.run((trx) => deliveryRepository.finishAttempt(trx, delivery.id, this.owner, {
      attempt: { ...record({ statusCode, error, body: result.ok ? result.body : null, latencyMs }), outcome },
      state,
      nextAttemptAt,
      lastError: error,
      at: finishedAt.toISOString(),
    }));
    this.options.metrics?.deliveryAttempt(subscriber.id, outcome, latencyMs / 1000);
    const log = { deliveryId: delivery.id, eventId: payload.id, subscriber: subscriber.id, attempt: attemptNo, statusCode, error, state };
    if (!kept) logger.warn(log, 'delivery lease was lost during the attempt');
    else if (state === 'dead') logger.error(log, 'delivery is dead');
    else if (state === 'pending') logger.warn({ ...log, nextAttemptAt }, 'delivery failed, will retry');
    else logger.info(log, 'delivered');
  }
}
