import { describe, expect, it } from '@jest/globals';
import { age, amount, parseTypedTime } from '../../src/console/format';
import { consolePath, noticeText, withNotice } from '../../src/console/links';
import { createSessions } from '../../src/console/session';
import { testClock } from '../support/clock';

describe('consolePath (where a form or a sign-in leads)', () => {
  it.each([
    ['/console', '/console'],
    ['/console/transactions/biller-a/TRX-1?notice=x#evt_1', '/console/transactions/biller-a/TRX-1?notice=x#evt_1'],
    ['/console?reference=A', '/console?reference=A'],
  ])('keeps the console path %s', (given, kept) => {
    expect(consolePath(given)).toBe(kept);
  });

  it.each(['https://evil.example/console', '//evil.example/console', '/console/..//evil', '/\\evil.example', '/consoleX', '/admin/events', '/console/login', '/console/logout', ' /console', 42, undefined])(
    'falls back for %p',
    (given) => {
      expect(consolePath(given)).toBe('/console');
    },
  );
});

describe('noticeText', () => {
  it('says only its own sentences, never the code it was given', () => {
    expect(noticeText('replayed-2')).toBe('Replay queued: 2 deliveries. The attempts appear below as they are made.');
    expect(noticeText('replayed-0')).toBe('Nothing was queued: no subscriber takes this event.');
    expect(noticeText('retried-1-of-3')).toBe('Retrying 1 delivery now. 2 were no longer dead.');
    expect(noticeText('<script>alert(1)</script>')).toBeNull();
    expect(withNotice('/console/deliveries?state=dead&notice=old', 'retried-1-of-1')).toBe('/console/deliveries?state=dead&notice=retried-1-of-1');
  });
});

describe('parseTypedTime (the Since and Until fields)', () => {
  it.each([
    ['2026-11-22', '2026-11-22T00:00:00.000Z'],
    ['2026-11-22 10:00', '2026-11-22T10:00:00.000Z'],
    ['2026-11-22T10:00:30Z', '2026-11-22T10:00:30.000Z'],
    ['2026-11-22 17:00+07:00', '2026-11-22T10:00:00.000Z'],
  ])('reads %s as %s', (typed, iso) => {
    expect(parseTypedTime(typed)).toBe(iso);
  });

  it.each(['yesterday', '22/11/2026', '2026-11-22 25:00', ''])('refuses %p', (typed) => {
    expect(parseTypedTime(typed)).toBeUndefined();
  });
});

describe('amount and age', () => {
  it('groups a decimal string without going through a float', () => {
    expect(amount('12345678901234567.89', 'IDR')).toBe('IDR 12,345,678,901,234,567.89');
    expect(amount('50.00', 'IDR')).toBe('IDR 50.00');
    expect(amount(null, null)).toBe('');
  });

  it('says how long ago', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    expect(age('2026-11-22T09:59:30Z', now)).toBe('30 s');
    expect(age('2026-11-22T07:55:00Z', now)).toBe('2 h 5 min');
    expect(age('2026-11-19T06:00:00Z', now)).toBe('3 d 4 h');
  });
});

describe('createSessions', () => {
  it('issues cookies it verifies, and refuses them once signed out', () => {
    const sessions = createSessions('admin-token-0123456789', testClock());
    const { session, cookie } = sessions.issue();

    expect(sessions.verify(cookie)).toEqual(session);
    sessions.revoke(session);
    expect(sessions.verify(cookie)).toBeUndefined();
  });

  it('issues nothing without an admin token', () => {
    const sessions = createSessions(null, testClock());

    expect(sessions.enabled).toBe(false);
    expect(sessions.isAdminToken('')).toBe(false);
    expect(() => sessions.issue()).toThrow();
  });
});
