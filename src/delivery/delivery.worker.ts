import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Metrics } from '../admin/metrics';
import { type Clock, newId } from '../clock';
import type { Subscriber } from '../config/config';
import type { Db } from '../db/database';
import * as eventRepository from '../events/event.repository';
import * as deliveryRepository from './delivery.repository';
import type { DeliveryRow } from './delivery.table';
import { nextWaitSeconds } from './retry-policy';
import { postWebhook } from './webhook-post';
import { signWebhook } from './webhook-signer';

export interface DispatcherOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly subscribers: readonly Subscriber[];
  /** Attempts in flight at once in this process (DELIVERY_WORKERS). */
  readonly workers: number;
  /** How often to look for work other processes queued, in ms. */
  readonly pollMs?: number;
  readonly random?: () => number;
  readonly metrics?: Metrics;
}

const LEASE_MARGIN_MS = 30_000;

/**
 * Delivers queued events to subscribers. `processDue()` does one round (tests drive it with an
 * injected clock); `start()` runs rounds whenever woken, when a retry falls due, and every
 * `pollMs` for deliveries queued by other processes.
 */
export class DeliveryDispatcher {
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly subscribers: ReadonlyMap<string, Subscriber>;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private tickAgain = false;

  constructor(private readonly options: DispatcherOptions) {
    this.subscribers = new Map(options.subscribers.map((s) => [s.id, s]));
  }

  start(): void {
    if (this.options.workers <= 0 || this.running) return;
    this.running = true;
    this.wake();
  }

  /** New deliveries were committed: look now rather than at the next poll. */
  wake(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** Stops claiming; attempts in flight may finish within `graceMs`, the rest stays pending. */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.inFlight),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timeout);
  }

  /**
   * Claims every delivery due now (as many at once as there are workers) and waits for their
   * attempts, until nothing is due. Answers how many attempts were made.
   */
  async processDue(): Promise<number> {
    let attempts = 0;
    for (;;) {
      const started = await this.claimAndStart();
      if (started.length === 0) return attempts;
      attempts += started.length;
      await Promise.all(started);
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    try {
      do {
        this.tickAgain = false;
        const started = await this.claimAndStart();
        for (const attempt of started) void attempt.then(() => this.wake());
      } while (this.tickAgain && this.running);
      await this.scheduleNext();
    } catch (error) {
      this.options.logger.error({ err: error }, 'delivery round failed');
      this.schedule(this.options.pollMs ?? 1000);
    } finally {
      this.ticking = false;
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
    const free = Math.max(1, this.options.workers) - this.inFlight.size;
    const now = this.options.clock.now();
    const longestTimeout = Math.max(10, ...this.options.subscribers.map((s) => s.timeoutSeconds)) * 1000;
    const leaseUntil = new Date(now.getTime() + longestTimeout + LEASE_MARGIN_MS).toISOString();
    const claimed = await deliveryRepository.claimDue(this.options.db, this.owner, now.toISOString(), leaseUntil, free);
    return claimed.map((delivery) => {
      const attempt = this.attempt(delivery).catch((error: unknown) => {
        // The lease runs out and the delivery is tried again: nothing is lost.
        this.options.logger.error({ err: error, deliveryId: delivery.id }, 'delivery attempt could not be recorded');
      });
      this.inFlight.add(attempt);
      void attempt.finally(() => this.inFlight.delete(attempt));
      return attempt;
    });
  }

  private async attempt(delivery: DeliveryRow): Promise<void> {
    const { db, clock, logger } = this.options;
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
      await deliveryRepository.finishAttempt(db, delivery.id, this.owner, {
        attempt: { ...record({ statusCode: null, error: 'subscriber no longer configured', body: null, latencyMs: 0 }), outcome: 'dead' },
        state: 'dead',
        nextAttemptAt: startedAt.toISOString(),
        lastError: 'subscriber no longer configured',
        at: startedAt.toISOString(),
      });
      return;
    }

    const event = await eventRepository.findEvent(db, delivery.event_id);
    if (!event) throw new Error(`event ${delivery.event_id} of delivery ${delivery.id} is missing`);
    const payload = eventRepository.toPaymentEvent(event);
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'payment-callback-receiver',
      'webhook-id': payload.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(subscriber.secrets, payload.id, timestamp, body),
    };
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
    const kept = await deliveryRepository.finishAttempt(db, delivery.id, this.owner, {
      attempt: { ...record({ statusCode, error, body: result.ok ? result.body : null, latencyMs }), outcome },
      state,
      nextAttemptAt,
      lastError: error,
      at: finishedAt.toISOString(),
    });
    this.options.metrics?.deliveryAttempt(subscriber.id, outcome, latencyMs / 1000);
    const log = { deliveryId: delivery.id, eventId: payload.id, subscriber: subscriber.id, attempt: attemptNo, statusCode, error, state };
    if (!kept) logger.warn(log, 'delivery lease was lost during the attempt');
    else if (state === 'dead') logger.error(log, 'delivery is dead');
    else if (state === 'pending') logger.warn({ ...log, nextAttemptAt }, 'delivery failed, will retry');
    else logger.info(log, 'delivered');
  }
}
