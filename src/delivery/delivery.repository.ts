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
 * come, nobody holds a live lease on it, no earlier delivery of the same (subscriber, source,
 * reference) is still pending (per-transaction order), and its subscriber is not paused.
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
    // A paused subscriber's deliveries stay where they are, whichever process looks and whatever
    // its configuration. The pauses are read once per claim, not per delivery.
    .where('d.subscriber_id', 'not in', (eb) => eb.selectFrom('subscriber_pauses').select('subscriber_id'))
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

/** States that stay small while things go well, so counting them is cheap: `delivered` grows forever. */
export const COUNTED_STATES = ['pending', 'dead'] as const satisfies readonly DeliveryState[];
export type CountedState = (typeof COUNTED_STATES)[number];

export interface StateCount {
  readonly count: number;
  /** When the oldest of them was created; null when there are none. */
  readonly oldestCreatedAt: string | null;
}

/** Pending and dead deliveries of every subscriber, known or not: read from the (state, created_at) index alone. */
export async function stateCounts(db: Db): Promise<Record<CountedState, StateCount>> {
  const rows = await db
    .selectFrom('deliveries')
    .select((eb) => ['state', eb.fn.countAll().as('n'), eb.fn.min('created_at').as('oldest')])
    .where('state', 'in', [...COUNTED_STATES])
    .groupBy('state')
    .execute();
  const counts = { pending: { count: 0, oldestCreatedAt: null }, dead: { count: 0, oldestCreatedAt: null } } as Record<CountedState, StateCount>;
  for (const row of rows) counts[row.state as CountedState] = { count: Number(row.n), oldestCreatedAt: row.oldest ?? null };
  return counts;
}

export interface SubscriberBacklog {
  readonly pending: number;
  readonly dead: number;
  /** When the oldest pending delivery was created; null when none is pending. */
  readonly oldestPendingAt: string | null;
}

/**
 * Pending and dead deliveries of each of `subscriberIds`, and the creation time of its oldest
 * pending one. The counts come from the (subscriber, state, …) index alone; the oldest pending
 * time reads the subscriber's pending rows, as many as its backlog, never its delivered ones.
 */
export async function subscriberBacklogs(db: Db, subscriberIds: readonly string[]): Promise<Map<string, SubscriberBacklog>> {
  const backlogs = new Map<string, { pending: number; dead: number; oldestPendingAt: string | null }>(
    subscriberIds.map((id) => [id, { pending: 0, dead: 0, oldestPendingAt: null }]),
  );
  if (subscriberIds.length === 0) return backlogs;
  const counts = await db
    .selectFrom('deliveries')
    .select((eb) => ['subscriber_id', 'state', eb.fn.countAll().as('n')])
    .where('subscriber_id', 'in', [...subscriberIds])
    .where('state', 'in', [...COUNTED_STATES])
    .groupBy(['subscriber_id', 'state'])
    .execute();
  for (const row of counts) {
    const backlog = backlogs.get(row.subscriber_id);
    if (backlog) backlog[row.state as CountedState] = Number(row.n);
  }
  const waiting = subscriberIds.filter((id) => (backlogs.get(id)?.pending ?? 0) > 0);
  if (waiting.length === 0) return backlogs;
  const oldest = await db
    .selectFrom('deliveries')
    .select((eb) => ['subscriber_id', eb.fn.min('created_at').as('oldest')])
    .where('subscriber_id', 'in', waiting)
    .where('state', '=', 'pending')
    .groupBy('subscriber_id')
    .execute();
  for (const row of oldest) {
    const backlog = backlogs.get(row.subscriber_id);
    if (backlog) backlog.oldestPendingAt = row.oldest ?? null;
  }
  return backlogs;
}

export interface DeadFilter {
  /** The subscribers whose dead deliveries are meant; never empty. */
  readonly subscribers: readonly string[];
  /** On `created_at`: `since` inclusive, `until` exclusive. */
  readonly since?: string;
  readonly until?: string;
}

function deadDeliveries(db: Db, filter: DeadFilter) {
  // The search goes by state and creation time, the (state, created_at, id) index; the subscriber
  // is checked on the rows found (see listDeliveries): `subscriber_id || ''` is served by no index.
  let query = db.selectFrom('deliveries').where('state', '=', 'dead').where(sql<string>`subscriber_id || ''`, 'in', [...filter.subscribers]);
  if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
  return query;
}

/** How many dead deliveries match `filter`. */
export async function countDead(db: Db, filter: DeadFilter): Promise<number> {
  if (filter.subscribers.length === 0) return 0;
  const row = await deadDeliveries(db, filter).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Makes up to `limit` dead deliveries matching `filter`, after `after` in (created_at, id) order,
 * pending again, due `now`. Answers how many it retried and where the next batch starts (null
 * when none was left). Each batch commits on its own: no transaction holds them all.
 */
export async function retryDeadBatch(
  db: Db,
  filter: DeadFilter,
  after: PageCursor | undefined,
  limit: number,
  now: string,
): Promise<{ retried: number; next: PageCursor | null }> {
  if (filter.subscribers.length === 0) return { retried: 0, next: null };
  let query = deadDeliveries(db, filter).select(['id', 'created_at']);
  if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after.at, after.id)));
  const found = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
  const last = found.at(-1);
  if (!last) return { retried: 0, next: null };
  const updated = await db
    .updateTable('deliveries')
    .set({ state: 'pending', next_attempt_at: now, updated_at: now })
    .where('id', 'in', found.map((row) => row.id))
    // As in lease(): the ids are the search, not the state. A delivery retried meanwhile stays as it is.
    .where(sql<string>`state || ''`, '=', 'dead')
    .executeTakeFirst();
  return { retried: Number(updated.numUpdatedRows), next: { at: last.created_at, id: last.id } };
}
