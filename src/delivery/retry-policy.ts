const JITTER = 0.2;

export interface FailedAttempt {
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly statusCode: number | null;
  readonly retryAfter: string | null;
}

/**
 * Seconds to wait before the next attempt, or null when the delivery is dead: the schedule is
 * spent, or the subscriber answered `410 Gone`, its way of saying no retry will ever succeed.
 * The step gets ±20 % jitter so a recovering subscriber is not hit by every retry at once; a
 * `Retry-After` on 429/503 is honoured, capped at twice the step.
 */
export function nextWaitSeconds(
  schedule: readonly number[],
  failed: FailedAttempt,
  now: Date,
  random: () => number = Math.random,
): number | null {
  if (failed.statusCode === 410) return null;
  const step = schedule[failed.attempt - 1];
  if (step === undefined) return null;
  if ((failed.statusCode === 429 || failed.statusCode === 503) && failed.retryAfter !== null) {
    const asked = retryAfterSeconds(failed.retryAfter, now);
    if (asked !== null) return Math.min(asked, 2 * step);
  }
  return step * (1 - JITTER + 2 * JITTER * random());
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function retryAfterSeconds(value: string, now: Date): number | null {
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, (at - now.getTime()) / 1000);
}
