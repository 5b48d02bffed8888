import type { Clock } from '../../src/clock';

export interface TestClock extends Clock {
  set(at: string | Date): void;
  advance(ms: number): void;
}

/** A clock that moves only when the test says so. */
export function testClock(start = '2026-11-22T03:00:00.000Z'): TestClock {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    set: (at) => {
      now = new Date(at).getTime();
    },
    advance: (ms) => {
      now += ms;
    },
  };
}
