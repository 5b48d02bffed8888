import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** The only source of "now", so tests can move time instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Crypto-strong randomness for ids, drawn from a buffer filled 4 KiB at a time: ulid's own
 * source asks the system for one byte per character, sixteen calls per id, on the ingest path.
 */
function pooledRandom(): () => number {
  const pool = Buffer.alloc(4096);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    return (pool[next++] ?? 0) / 256;
  };
}

const nextUlid = monotonicFactory(pooledRandom());

/**
 * Time-ordered unique id (`evt_01J…`): ids made later sort later, also within one millisecond,
 * so listing by id is listing by creation.
 */
export function newId(prefix: string, clock: Clock): string {
  return `${prefix}_${nextUlid(clock.now().getTime())}`;
}
