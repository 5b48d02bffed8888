import type { Clock } from '../clock';

const WINDOW_MS = 60_000;
/** Failed sign-ins one client address may make a minute. */
export const FAILURES_PER_CLIENT = 5;
/** Failed sign-ins from everyone together a minute: guessing from many addresses is slowed too. */
export const FAILURES_OVERALL = 50;

export interface LoginThrottle {
  /** Whether this client may try now; once refused, it waits for the next minute. */
  allows(client: string): boolean;
  failed(client: string): void;
}

/**
 * Counts failed sign-ins per minute in this process's memory. A refused client is not even
 * compared against the token, so the limit bounds guesses, not just answers.
 */
export function createLoginThrottle(clock: Clock): LoginThrottle {
  let windowStart = 0;
  let overall = 0;
  const byClient = new Map<string, number>();

  const roll = () => {
    const now = clock.now().getTime();
    if (now - windowStart >= WINDOW_MS || now < windowStart) {
      windowStart = now - (now % WINDOW_MS);
      overall = 0;
      byClient.clear();
    }
  };

  return {
    allows(client) {
      roll();
      return overall < FAILURES_OVERALL && (byClient.get(client) ?? 0) < FAILURES_PER_CLIENT;
    },
    failed(client) {
      roll();
      overall += 1;
      byClient.set(client, (byClient.get(client) ?? 0) + 1);
    },
  };
}
