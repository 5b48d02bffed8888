import { sql } from 'kysely';
import type { Db, Trx } from '../db/database';
import { skipLockedRows } from '../db/dialect';
import { multiRowInsert, runStatement, statement } from '../db/statement';
import type { PageCursor } from '../events/event.repository';
import type { DeliveryAttemptRow, DeliveryRow, DeliveryState, NewDeliveryAttemptRow, NewDeliveryRow } from './delivery.table';

const DELIVERY_COLUMNS = [
  'id', 'event_id', 'subscriber_id', 'source_id', 'reference', 'event_seq', 'state', 'next_attempt_at',
  'lease_owner', 'lease_expires_at', 'last_error', 'created_at', 'updated_at', 'delivered_at',
] as const satisfies readonly (keyof NewDeliveryRow)[];

const insertStatement = multiRowInsert(`insert into deliveries (${DELIVERY_COLUMNS.join(', ')})`, DELIVERY_COLUMNS.length);

/** On the ingest path: one statement for all of an event's deliveries. */
export async function insertDeliveries(trx: Trx, rows: readonly NewDeliveryRow[]): Promise<void> {
  if (rows.length === 0) return;
  await runStatement(trx, insertStatement(rows.length), rows.flatMap((row) => DELIVERY_COLUMNS.map((column) => row[column] ?? null)));
}

export interface SubscriberQueue {
  readonly subscriberId: string;
  /** How many of its due deliveries to look at: as many as it may still start. */
  readonly room: number;
}

/**
 * Leases due deliveries to `owner` until `leaseUntil`, subscriber by subscriber: finds up to
 * `room` due deliveries of each queue (oldest first), lets `allot` say how many of each to take
 * given how many each has, and leases those. A delivery is due when it is pending, its time has
 * come, nobody holds a live lease on it, and no earlier delivery of the same (subscriber,
 * source, reference) is still pending: per-transaction order.
 */
export async function claimDue(
  trx: Trx,
  owner: string,
  now: string,
  leaseUntil: string,
  queues: readonly SubscriberQueue[],
  allot: (found: readonly number[]) => readonly number[],
): Promise<DeliveryRow[]> {
  if (queues.length === 0) return [];
  const found: string[][] = [];
  for (const queue of queues) {
    // Per subscriber, so the index on (subscriber, state, due time) finds its deliveries
    // however long another subscriber's backlog is.
    const rows = await skipLockedRows(
      trx,
      dueDeliveries(trx, now).where('d.subscriber_id', '=', queue.subscriberId).orderBy('d.next_attempt_at').orderBy('d.id').limit(queue.room),
    ).execute();
    found.push(rows.map((row) => row.id));
  }
  const shares = allot(found.map((ids) => ids.length));
  // Rows found but not taken stay locked until the commit a moment later, and are free again then.
  return lease(trx, owner, now, leaseUntil, found.flatMap((ids, i) => ids.slice(0, shares[i] ?? 0)));
}

/**
 * Leases up to `limit` due deliveries of subscribers not in `known`: left from a configuration
 * that had them, or queued by another process configured differently. They are due like any other.
 */
export async function claimUnknownSubscribers(
  trx: Trx,
  owner: string,
  now: string,
  leaseUntil: string,
  known: readonly string[],
  limit: number,
): Promise<DeliveryRow[]> {
  if (limit <= 0) return [];
  let query = dueDeliveries(trx, now);
  if (known.length > 0) query = query.where('d.subscriber_id', 'not in', [...known]);
  const rows = await skipLockedRows(trx, query.orderBy('d.next_attempt_at').orderBy('d.id').limit(limit)).execute();
  return lease(trx, owner, now, leaseUntil, rows.map((row) => row.id));
}

function dueDeliveries(trx: Trx, now: string) {
  return trx
    .selectFrom('deliveries as d')
    .select('d.id')
    .where('d.state', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('d.lease_expires_at', 'is', null), eb('d.lease_expires_at', '<=', now)]))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('deliveries as e')
            .select('e.id')
            .whereRef('e.subscriber_id', '=', 'd.subscriber_id')
            .whereRef('e.source_id', '=', 'd.source_id')
            .whereRef('e.reference', '=', 'd.reference')
            .where('e.state', '=', 'pending')
            .where((inner) =>
              inner.or([
                inner('e.event_seq', '<', inner.ref('d.event_seq')),
                inner.and([inner('e.event_seq', '=', inner.ref('d.event_seq')), inner('e.id', '<', inner.ref('d.id'))]),
              ]),
            ),
        ),
      ),
    );
}

async function lease(trx: Trx, owner: string, now: string, leaseUntil: string, ids: readonly string[]): Promise<DeliveryRow[]> {
  if (ids.length === 0) return [];
  // The condition repeats the lease check: whoever updates first owns the delivery. The ids are
  // the search; SQLite, with no statistics, would rather walk the state index, every pending
  // delivery of the backlog, so the state is compared in a form no index serves.
  return trx
    .updateTable('deliveries')
    .set({ lease_owner: owner, lease_expires_at: leaseUntil, updated_at: now })
    .where('id', 'in', [...ids])
    .where(sql<string>`state || ''`, '=', 'pending')
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
    .returningAll()
    .execute();
}

/**
 * Extends `owner`'s leases on `ids` to `leaseUntil`, while their attempts run. Answers the ids
 * still held; one missing was finished meanwhile or taken over after its lease ran out.
 */
export async function renewLeases(db: Db, owner: string, ids: readonly string[], leaseUntil: string): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('deliveries')
    .set({ lease_expires_at: leaseUntil })
    .where('id', 'in', [...ids])
    .where('lease_owner', '=', owner)
    // As in lease(): the ids are the search, not the state.
    .where(sql<string>`state || ''`, '=', 'pending')
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

export interface AttemptResult {
  readonly attempt: NewDeliveryAttemptRow;
  readonly state: DeliveryState;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly at: string;
}

const ATTEMPT_COLUMNS = [
  'id', 'delivery_id', 'attempt', 'started_at', 'latency_ms', 'status_code', 'error', 'response_body', 'outcome',
] as const satisfies readonly (keyof NewDeliveryAttemptRow)[];

const INSERT_ATTEMPT = statement(
  `insert into delivery_attempts (${ATTEMPT_COLUMNS.join(', ')}) values (${ATTEMPT_COLUMNS.map(() => '?').join(', ')})`,
);

const FINISH = statement(`
  update deliveries
  set state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_owner = null, lease_expires_at = null,
      updated_at = ?, delivered_at = ?
  where id = ? and lease_owner = ?
  returning id`);

/** Records the attempt and moves the delivery on; false when the lease had been lost meanwhile. */
export async function finishAttempt(trx: Trx, deliveryId: string, owner: string, result: AttemptResult): Promise<boolean> {
  await runStatement(trx, INSERT_ATTEMPT, ATTEMPT_COLUMNS.map((column) => result.attempt[column] ?? null));
  const updated = await runStatement(trx, FINISH, [
    result.state,
    result.nextAttemptAt,
    result.lastError,
    result.at,
    result.state === 'delivered' ? result.at : null,
    deliveryId,
    owner,
  ]);
  return updated.length === 1;
}

/**
 * When the next retry falls due after `now`, to set the timer. Deliveries already due but not
 * claimable (waiting behind an earlier one, or leased) are not counted: the attempt they wait
 * for wakes the workers when it ends, and counting them would spin the timer.
 */
export async function nextDueAt(db: Db, now: string): Promise<string | null> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('due'))
    .where('state', '=', 'pending')
    .where('next_attempt_at', '>', now)
    .executeTakeFirst();
  return row?.due ?? null;
}

/** Makes a dead delivery pending again, due now; false when it was not dead. */
export async function retryDead(db: Db, id: string, now: string): Promise<boolean> {
  const updated = await db
    .updateTable('deliveries')
    .set({ state: 'pending', next_attempt_at: now, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'dead')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

export async function findDelivery(db: Db, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface DeliveryFilter {
  readonly state?: DeliveryState;
  readonly subscriber?: string;
}

/** Newest first. */
export async function listDeliveries(db: Db, filter: DeliveryFilter, limit: number, after?: PageCursor): Promise<DeliveryRow[]> {
  let query = db.selectFrom('deliveries').selectAll();
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (filter.subscriber !== undefined) {
    // With a state too, the search must go by state: dead deliveries are few, and walking all of a
    // subscriber's to find them grows with the table. SQLite, without statistics, would pick the
    // subscriber's index; `subscriber_id || ''` is served by none.
    const subscriber = filter.state === undefined ? sql.ref<string>('subscriber_id') : sql<string>`subscriber_id || ''`;
    query = query.where(subscriber, '=', filter.subscriber);
  }
  // One row-value comparison, which both engines seek to in an index ending (…, created_at, id).
  if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)));
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function listForEvent(db: Db, eventId: string): Promise<DeliveryRow[]> {
  return db.selectFrom('deliveries').selectAll().where('event_id', '=', eventId).orderBy('id').execute();
}

export async function listAttempts(db: Db, deliveryIds: readonly string[]): Promise<DeliveryAttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  return db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('delivery_id', 'in', [...deliveryIds])
    .orderBy('delivery_id')
    .orderBy('attempt')
    .execute();
}

/** How many deliveries are pending and since when the oldest waits: the backlog. */
export async function backlog(db: Db): Promise<{ pending: number; oldestCreatedAt: string | null }> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => [eb.fn.countAll().as('pending'), eb.fn.min('created_at').as('oldest')])
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return { pending: Number(row?.pending ?? 0), oldestCreatedAt: row?.oldest ?? null };
}
