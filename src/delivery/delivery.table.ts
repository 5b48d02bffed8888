import type { Generated, Insertable, Selectable } from 'kysely';

/** `pending` covers both "not tried yet" and "retrying" (attempts > 0). */
export type DeliveryState = 'pending' | 'delivered' | 'dead';

export interface DeliveryTable {
  id: string;
  event_id: string;
  subscriber_id: string;
  source_id: string;
  reference: string;
  /** The event's position in its transaction: the order deliveries of one reference go out in. */
  event_seq: number;
  state: DeliveryState;
  attempts: Generated<number>;
  next_attempt_at: string;
  /** Which worker holds the delivery, until when; an expired lease makes it claimable again. */
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export type DeliveryRow = Selectable<DeliveryTable>;
export type NewDeliveryRow = Insertable<DeliveryTable>;

export type AttemptOutcome = 'delivered' | 'retry' | 'dead';

export interface DeliveryAttemptTable {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: string;
  latency_ms: number;
  status_code: number | null;
  error: string | null;
  /** The first 4 KiB of the subscriber's answer. */
  response_body: string | null;
  outcome: AttemptOutcome;
}

export type DeliveryAttemptRow = Selectable<DeliveryAttemptTable>;
export type NewDeliveryAttemptRow = Insertable<DeliveryAttemptTable>;
