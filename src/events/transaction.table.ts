import type { Insertable, Selectable } from 'kysely';

/** The current status of one (source, reference); it only moves forward. */
export interface TransactionTable {
  source_id: string;
  reference: string;
  channel: string;
  status: string;
  /** The event that set the current status. */
  status_event_id: string;
  event_count: number;
  created_at: string;
  updated_at: string;
}

export type TransactionRow = Selectable<TransactionTable>;
export type NewTransactionRow = Insertable<TransactionTable>;
