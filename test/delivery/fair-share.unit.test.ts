import { describe, expect, it } from '@jest/globals';
import { fairShares } from '../../src/delivery/fair-share';

describe('fairShares', () => {
  it('splits free workers evenly among subscribers with due work', () => {
    expect(fairShares([{ inFlight: 0, due: 4 }, { inFlight: 0, due: 4 }], 4)).toEqual([2, 2]);
    expect(fairShares([{ inFlight: 0, due: 4 }, { inFlight: 0, due: 4 }, { inFlight: 0, due: 4 }], 4)).toEqual([2, 1, 1]);
  });

  it('gives a freed worker to the subscriber with fewer attempts in flight, not to one that hangs', () => {
    expect(fairShares([{ inFlight: 2, due: 2 }, { inFlight: 1, due: 4 }], 1)).toEqual([0, 1]);
    expect(fairShares([{ inFlight: 3, due: 1 }, { inFlight: 0, due: 4 }], 1)).toEqual([0, 1]);
  });

  it('passes workers a subscriber has no work for to the others', () => {
    expect(fairShares([{ inFlight: 0, due: 1 }, { inFlight: 0, due: 0 }, { inFlight: 0, due: 8 }], 6)).toEqual([1, 0, 5]);
  });

  it('never gives a subscriber more than its due work, leaving workers idle rather', () => {
    expect(fairShares([{ inFlight: 0, due: 1 }, { inFlight: 0, due: 2 }], 8)).toEqual([1, 2]);
    expect(fairShares([], 4)).toEqual([]);
    expect(fairShares([{ inFlight: 0, due: 3 }], 0)).toEqual([0]);
  });
});
