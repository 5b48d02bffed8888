import type { Kysely, Transaction } from 'kysely';
import type { EventTable } from '../events/event.table';
import type { TransactionTable } from '../events/transaction.table';
import type { InboundRecordTable } from '../ingress/inbound.table';

export interface Database {
  inbound_records: InboundRecordTable;
  events: EventTable;
  transactions: TransactionTable;
}

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
