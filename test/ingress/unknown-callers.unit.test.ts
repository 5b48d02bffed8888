import { describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import { createUnknownCallerLimit } from '../../src/ingress/unknown-callers';
import { billerSource } from '../support/config';
import { testClock } from '../support/clock';

// A request from `ip` that no source was identified for, as the rejection handlers see it.
const fromNobody = (ip: string) => [{ ip, socket: {} } as Request, { locals: {} } as unknown as Response] as const;

describe('createUnknownCallerLimit', () => {
  it('counts an IPv6 caller by its /56, so rotating addresses gains no records', () => {
    const limit = createUnknownCallerLimit(testClock(), [billerSource()]);

    const answers = Array.from({ length: 61 }, (_, i) => limit.unrecordedReason(...fromNobody(`2001:db8:0:ff:${i.toString(16)}::1`)));

    expect(answers.filter((a) => a === null)).toHaveLength(60);
    expect(answers.at(-1)).toBe('unknown_source');
    expect(limit.unrecordedReason(...fromNobody('2001:db8:0:100::1'))).toBeNull();
  });

  it('counts at most 10 000 addresses a minute, then records no new one until the minute turns', () => {
    const clock = testClock();
    const limit = createUnknownCallerLimit(clock, [billerSource()]);
    const ipv4 = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    for (let n = 0; n < 10_000; n++) expect(limit.unrecordedReason(...fromNobody(ipv4(n)))).toBeNull();

    expect(limit.unrecordedReason(...fromNobody(ipv4(10_000)))).toBe('unknown_source');
    expect(limit.unrecordedReason(...fromNobody(ipv4(0)))).toBeNull();

    clock.advance(60_000);
    expect(limit.unrecordedReason(...fromNobody(ipv4(10_000)))).toBeNull();
  });
});
