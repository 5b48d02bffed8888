import type { Status } from './event';

// CONTRACT 4: PENDING → SUCCESS/FAILED/CANCELED/NOT_FOUND, SUCCESS → REFUNDED. A report may skip
// a step it implies (PENDING → REFUNDED went through SUCCESS), so the moves are closed transitively.
const FORWARD: Readonly<Record<Status, readonly Status[]>> = {
  PENDING: ['SUCCESS', 'FAILED', 'CANCELED', 'NOT_FOUND', 'REFUNDED'],
  SUCCESS: ['REFUNDED'],
  FAILED: [],
  CANCELED: [],
  REFUNDED: [],
  NOT_FOUND: [],
};

// A provider taking back a sale it reported as done (CONTRACT 4): the money must go back to the
// customer, so the transaction follows the report instead of ignoring it as late news.
const REVERSALS: Readonly<Partial<Record<Status, readonly Status[]>>> = {
  SUCCESS: ['FAILED', 'CANCELED'],
};

export type Move = 'advance' | 'same' | 'stale' | 'reversal';

export function isForwardMove(from: Status, to: Status): boolean {
  return FORWARD[from].includes(to);
}

/** What a new report does to a transaction whose current status is `current`. */
export function applyReport(current: Status, reported: Status): Move {
  if (current === reported) return 'same';
  if (isForwardMove(current, reported)) return 'advance';
  return REVERSALS[current]?.includes(reported) ? 'reversal' : 'stale';
}
