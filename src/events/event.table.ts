import type { Generated, Insertable, Selectable } from 'kysely';

export interface EventTable {
  id: string;
  created_at: string;
  source_id: string;
  channel: string;
  reference: string;
  status: string;
  provider_reference: string | null;
  provider_status: string;
  amount_value: string | null;
  amount_currency: string | null;
  occurred_at: string | null;
  received_at: string;
  /** 1 when the event would have moved its transaction backwards. */
  stale: Generated<number>;
  /** 1 when the event moved a SUCCESS transaction to FAILED or CANCELED (money must go back). */
  reversal: Generated<number>;
  /** JSON object. */
  details: string;
  inbound_id: string | null;
  /** Position of the event in its transaction's history, from 1. */
  transaction_seq: number;
}

export type EventRow = Selectable<EventTable>;
export type NewEventRow = Insertable<EventTable>;
