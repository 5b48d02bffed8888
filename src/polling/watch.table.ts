import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * `active`: still polled; `done`: a terminal answer came; `expired`: none came by the deadline;
 * `canceled`: an operator stopped it.
 */
export const WATCH_STATES = ['active', 'done', 'expired', 'canceled'] as const;
export type WatchState = (typeof WATCH_STATES)[number];

/** One transaction of a pull-only provider that the receiver polls until its status is final. */
export interface WatchTable {
  id: string;
  source_id: string;
  /** MMBC's invoice: the transaction's reference. */
  invoice: string;
  /** PPOB's `ppob_nomorpelanggan`, which `cekstatus` needs; null for Multipayment. */
  customer_number: string | null;
  state: WatchState;
  created_at: string;
  updated_at: string;
  deadline_at: string;
  /** When the next poll is due (while active). */
  next_poll_at: string;
  poll_count: Generated<number>;
  last_polled_at: string | null;
  /** The last poll's outcome (see PollOutcome). */
  last_outcome: string | null;
  /** The last answer's body as received (at most 4 KiB), or what went wrong. */
  last_answer: string | null;
  ended_at: string | null;
  /** Which process is polling it now, until when; an expired lease makes it claimable again. */
  lease_owner: string | null;
  lease_expires_at: string | null;
}

export type WatchRow = Selectable<WatchTable>;
export type NewWatchRow = Insertable<WatchTable>;

/** One poll made for a watch; the request and the answer are in its inbound record. */
export interface WatchPollTable {
  id: string;
  watch_id: string;
  /** 1 for the first poll of the watch. */
  poll: number;
  started_at: string;
  latency_ms: number;
  outcome: string;
  /** The provider's reason, the HTTP status or the error, in a line. */
  detail: string | null;
  /** The provider's HTTP status; null when no answer came. */
  status_code: number | null;
  inbound_id: string;
}

export type WatchPollRow = Selectable<WatchPollTable>;
