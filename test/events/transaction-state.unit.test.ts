import { describe, expect, it } from '@jest/globals';
import type { Status } from '../../src/events/event';
import { applyReport } from '../../src/events/transaction-state';

describe('applyReport', () => {
  it.each<[Status, Status]>([
    ['PENDING', 'SUCCESS'],
    ['PENDING', 'FAILED'],
    ['PENDING', 'CANCELED'],
    ['PENDING', 'NOT_FOUND'],
    ['PENDING', 'REFUNDED'],
    ['SUCCESS', 'REFUNDED'],
  ])('moves %s forward to %s', (from, to) => {
    expect(applyReport(from, to)).toBe('advance');
  });

  it.each<[Status, Status]>([
    ['SUCCESS', 'FAILED'],
    ['SUCCESS', 'CANCELED'],
  ])('calls %s → %s a reversal', (from, to) => {
    expect(applyReport(from, to)).toBe('reversal');
  });

  it.each<[Status, Status]>([
    ['SUCCESS', 'PENDING'],
    ['SUCCESS', 'NOT_FOUND'],
    ['FAILED', 'SUCCESS'],
    ['CANCELED', 'SUCCESS'],
    ['REFUNDED', 'SUCCESS'],
    ['REFUNDED', 'FAILED'],
    ['REFUNDED', 'CANCELED'],
    ['FAILED', 'CANCELED'],
    ['CANCELED', 'PENDING'],
    ['NOT_FOUND', 'SUCCESS'],
  ])('calls %s → %s stale', (from, to) => {
    expect(applyReport(from, to)).toBe('stale');
  });

  it('calls a repeat of the current status the same', () => {
    expect(applyReport('SUCCESS', 'SUCCESS')).toBe('same');
  });
});
