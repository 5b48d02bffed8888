import { describe, expect, it } from '@jest/globals';
import { nextWaitSeconds, retryAfterSeconds } from '../../src/delivery/retry-policy';

const now = new Date('2026-11-22T03:00:00.000Z');
const schedule = [5, 300, 1800];
const failed = (attempt: number, statusCode: number | null = 500, retryAfter: string | null = null) => ({ attempt, statusCode, retryAfter });

describe('nextWaitSeconds', () => {
  it('takes the step for the attempt that failed, with ±20 % jitter', () => {
    expect(nextWaitSeconds(schedule, failed(1), now, () => 0)).toBeCloseTo(4);
    expect(nextWaitSeconds(schedule, failed(1), now, () => 0.5)).toBeCloseTo(5);
    expect(nextWaitSeconds(schedule, failed(2), now, () => 1)).toBeCloseTo(360);
  });

  it('answers null once the schedule is spent', () => {
    expect(nextWaitSeconds(schedule, failed(4), now)).toBeNull();
    expect(nextWaitSeconds([], failed(1), now)).toBeNull();
  });

  it('answers null on 410 Gone, however much of the schedule is left', () => {
    expect(nextWaitSeconds(schedule, failed(1, 410), now)).toBeNull();
    expect(nextWaitSeconds(schedule, failed(1, 410, '8'), now)).toBeNull();
  });

  it('honours Retry-After on 429 and 503 only, capped at twice the step', () => {
    expect(nextWaitSeconds(schedule, failed(1, 429, '8'), now)).toBe(8);
    expect(nextWaitSeconds(schedule, failed(1, 503, '3600'), now)).toBe(10);
    expect(nextWaitSeconds(schedule, failed(1, 500, '8'), now, () => 0.5)).toBeCloseTo(5);
    expect(nextWaitSeconds(schedule, failed(1, null, null), now, () => 0.5)).toBeCloseTo(5);
  });
});

describe('retryAfterSeconds', () => {
  it('reads delta-seconds and HTTP dates, and ignores anything else', () => {
    expect(retryAfterSeconds(' 120 ', now)).toBe(120);
    expect(retryAfterSeconds('Sun, 22 Nov 2026 03:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Sun, 22 Nov 2026 02:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeNull();
  });
});
