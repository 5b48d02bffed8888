import { sql } from 'kysely';
import type { Db } from '../../src/db/database';
import { type Receiver, sleep, startReceiver } from './harness';

// Shared by crash-loop and hanging-subscriber: deterministic choices, every receiver child
// accounted for, and the delivery queue as the database sees it.

/** A seeded generator, so a failing run makes the same choices when repeated. */
export function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** Settles with the promise, or with `fallback` after `ms`: no wait in a scenario is unbounded. */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every receiver a scenario started, so afterAll can end the ones still running even when an
 * assertion failed half-way: a child left behind keeps jest, and CI, from ever finishing.
 */
export class Receivers {
  private readonly live = new Set<Receiver>();

  async start(options: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
    const receiver = await startReceiver(options);
    this.live.add(receiver);
    void receiver.exited.then(() => this.live.delete(receiver));
    return receiver;
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.live].map((receiver) => within(receiver.kill('SIGKILL'), 5_000, 'still running')));
  }
}

/** How many deliveries are in each state now. */
export async function deliveryStates(db: Db): Promise<Record<string, number>> {
  const { rows } = await sql<{ state: string; n: number | string }>`select state, count(*) as n from deliveries group by state`.execute(db);
  return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]));
}

/** Polls until no delivery is pending, at most `ms`; answers the states last seen. */
export async function drained(db: Db, ms: number): Promise<{ drained: boolean; states: Record<string, number> }> {
  const until = Date.now() + ms;
  for (;;) {
    const states = await deliveryStates(db);
    if (!states.pending) return { drained: true, states };
    if (Date.now() >= until) return { drained: false, states };
    await sleep(200);
  }
}
