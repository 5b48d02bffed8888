import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import * as deliveryRepository from '../delivery/delivery.repository';
import * as pauseRepository from '../delivery/subscriber-pause.repository';
import * as watchRepository from '../polling/watch.repository';
import { WATCH_STATES } from '../polling/watch.table';

/**
 * Gauges read from the database at each scrape, so they are the same on every process sharing it
 * (alert on `max`, never `sum`). The delivery queries count pending and dead deliveries only (see
 * deliveryRepository.stateCounts), so a scrape costs as much as the backlog, not the table. While
 * the database does not answer, these gauges have no value (NaN, or no samples) and the scrape
 * still succeeds: the process's own counters are worth most then, and `receiver_ready` says why.
 */
export function registerDatabaseGauges(registry: Registry, db: Db, clock: Clock, subscriberIds: () => readonly string[]): void {
  const totals = oneQueryPerScrape(() => deliveryRepository.stateCounts(db));
  const subscribers = oneQueryPerScrape(async () => {
    const ids = subscriberIds();
    const [backlogs, paused] = await Promise.all([deliveryRepository.subscriberBacklogs(db, ids), pauseRepository.pausedSince(db)]);
    return ids.map((id) => ({ id, backlog: backlogs.get(id), paused: paused.has(id) }));
  });
  const watches = oneQueryPerScrape(() => watchRepository.watchCounts(db));
  const age = (since: string | null) => (since === null ? 0 : Math.max(0, (clock.now().getTime() - Date.parse(since)) / 1000));
  const registers = [registry];

  new Gauge({
    name: 'receiver_deliveries',
    help: 'Deliveries by state, all subscribers: pending (not yet delivered, retrying included) and dead (given up: alert on these). Delivered ones are counted by receiver_delivery_attempts_total.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      const counts = await totals();
      if (counts) for (const state of deliveryRepository.COUNTED_STATES) this.set({ state }, counts[state].count);
    },
  });
  new Gauge({
    name: 'receiver_outbox_pending_deliveries',
    help: 'Deliveries not yet delivered nor dead (the outbox depth).',
    registers,
    async collect() {
      this.set((await totals())?.pending.count ?? NaN);
    },
  });
  new Gauge({
    name: 'receiver_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest pending delivery; 0 when none is pending. Alert on this.',
    registers,
    async collect() {
      const counts = await totals();
      this.set(counts ? age(counts.pending.oldestCreatedAt) : NaN);
    },
  });
  new Gauge({
    name: 'receiver_subscriber_deliveries',
    help: 'Deliveries of each configured subscriber by state (pending, dead).',
    labelNames: ['subscriber', 'state'] as const,
    registers,
    async collect() {
      // A subscriber taken out of the configuration disappears rather than keep its last value.
      this.reset();
      for (const { id, backlog } of (await subscribers()) ?? []) {
        this.set({ subscriber: id, state: 'pending' }, backlog?.pending ?? 0);
        this.set({ subscriber: id, state: 'dead' }, backlog?.dead ?? 0);
      }
    },
  });
  new Gauge({
    name: 'receiver_subscriber_oldest_pending_age_seconds',
    help: 'Age of the oldest pending delivery of each configured subscriber; 0 when none is pending.',
    labelNames: ['subscriber'] as const,
    registers,
    async collect() {
      this.reset();
      for (const { id, backlog } of (await subscribers()) ?? []) this.set({ subscriber: id }, age(backlog?.oldestPendingAt ?? null));
    },
  });
  new Gauge({
    name: 'receiver_subscriber_paused',
    help: '1 while an operator has paused the subscriber (its deliveries wait, on every process), else 0.',
    labelNames: ['subscriber'] as const,
    registers,
    async collect() {
      this.reset();
      for (const { id, paused } of (await subscribers()) ?? []) this.set({ subscriber: id }, paused ? 1 : 0);
    },
  });
  new Gauge({
    name: 'receiver_watches',
    help: 'Watches on pull-only providers by state (active, done, expired, canceled).',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      const counts = await watches();
      if (counts) for (const state of WATCH_STATES) this.set({ state }, counts.byState[state] ?? 0);
    },
  });
  new Gauge({
    name: 'receiver_watch_oldest_active_age_seconds',
    help: 'Age of the oldest active watch; 0 when none is active.',
    registers,
    async collect() {
      const counts = await watches();
      this.set(counts ? age(counts.oldestActiveCreatedAt) : NaN);
    },
  });
}

/**
 * One query for every gauge that needs its answer in a scrape: the registry collects all gauges
 * at once, so calls made while the first runs share it, and the next scrape asks again.
 * Undefined when the database did not answer.
 */
function oneQueryPerScrape<T>(fetch: () => Promise<T>): () => Promise<T | undefined> {
  let running: Promise<T | undefined> | undefined;
  return () => {
    running ??= fetch()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}
