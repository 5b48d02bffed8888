import type { Insertable, Selectable } from 'kysely';

/** A paused subscriber: its deliveries are not claimed while the row exists. */
export interface SubscriberPauseTable {
  subscriber_id: string;
  paused_at: string;
}

export type SubscriberPauseRow = Selectable<SubscriberPauseTable>;
export type NewSubscriberPauseRow = Insertable<SubscriberPauseTable>;
