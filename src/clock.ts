import { monotonicFactory } from 'ulid';

/** The only source of "now", so tests can move time instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

const nextUlid = monotonicFactory();

/**
 * Time-ordered unique id (`evt_01J…`): ids made later sort later, also within one millisecond,
 * so listing by id is listing by creation.
 */
export function newId(prefix: string, clock: Clock): string {
  return `${prefix}_${nextUlid(clock.now().getTime())}`;
}
