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

export function isForwardMove(from: Status, to: Status): boolean {
  return FORWARD[from].includes(to);
}

/** What a new report does to a transaction whose current status is `current`. */
export function applyReport(current: Status, reported: Status): 'advance' | 'same' | 'stale' {
  if (current === reported) return 'same';
  return isForwardMove(current, reported) ? 'advance' : 'stale';
}
