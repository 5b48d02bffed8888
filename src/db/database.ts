import type { Kysely, Transaction } from 'kysely';
import type { ReadinessProbeTable } from './readiness';
import type { DeliveryAttemptTable, DeliveryTable } from '../delivery/delivery.table';
import type { SubscriberPauseTable } from '../delivery/subscriber-pause.table';
import type { EventRepeatTable } from '../events/event-repeat.table';
import type { EventTable } from '../events/event.table';
import type { TransactionTable } from '../events/transaction.table';
import type { InboundRecordTable } from '../ingress/inbound.table';
import type { AccessTokenTable } from '../ingress/snap/access-token.table';
import type { SnapRequestTable } from '../ingress/snap/snap-request.table';
import type { WatchPollTable, WatchTable } from '../polling/watch.table';

export interface Database {
  inbound_records: InboundRecordTable;
  events: EventTable;
  event_repeats: EventRepeatTable;
  transactions: TransactionTable;
  access_tokens: AccessTokenTable;
  snap_requests: SnapRequestTable;
  deliveries: DeliveryTable;
  delivery_attempts: DeliveryAttemptTable;
  readiness_probe: ReadinessProbeTable;
  watches: WatchTable;
  watch_polls: WatchPollTable;
  subscriber_pauses: SubscriberPauseTable;
}

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
