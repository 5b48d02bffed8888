import { sql } from 'kysely';
import type { Db, Trx } from '../db/database';
import { skipLockedRows } from '../db/dialect';
import type { PageCursor } from '../events/event.repository';
import type { NewWatchRow, WatchPollRow, WatchPollTable, WatchRow, WatchState } from './watch.table';

/** Inserts the watch unless one exists for its (source, invoice); answers whether it did. */
export async function insertWatch(db: Db, row: NewWatchRow): Promise<boolean> {
  const result = await db
    .insertInto('watches')
    .values(row)
    .onConflict((oc) => oc.columns(['source_id', 'invoice']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findWatch(db: Db | Trx, id: string): Promise<WatchRow | undefined> {
  return db.selectFrom('watches').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findWatchByInvoice(db: Db, sourceId: string, invoice: string): Promise<WatchRow | undefined> {
  return db.selectFrom('watches').selectAll().where('source_id', '=', sourceId).where('invoice', '=', invoice).executeTakeFirst();
}

export interface WatchFilter {
  readonly source?: string;
  readonly state?: WatchState;
}

/** Newest first, like the other lists. */
export async function listWatches(db: Db, filter: WatchFilter, limit: number, after?: PageCursor): Promise<WatchRow[]> {
  let query = db.selectFrom('watches').selectAll();
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (filter.source !== undefined) query = query.where('source_id', '=', filter.source);
  if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)));
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function listPolls(db: Db, watchId: string): Promise<WatchPollRow[]> {
  return db.selectFrom('watch_polls').selectAll().where('watch_id', '=', watchId).orderBy('poll').execute();
}

/**
 * Leases up to `limit` watches of one source that are due: active, their time come, and held by
 * nobody (or by a process whose lease ran out). On PostgreSQL the rows another process is
 * claiming are skipped; the conditional update makes the claim exclusive on both engines.
 */
export async function claimDue(
  trx: Trx,
  owner: string,
  sourceId: string,
  now: string,
  leaseUntil: string,
  limit: number,
): Promise<WatchRow[]> {
  if (limit <= 0) return [];
  const due = await skipLockedRows(
    trx,
    trx
      .selectFrom('watches')
      .select('id')
      .where('source_id', '=', sourceId)
      .where('state', '=', 'active')
      .where('next_poll_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
      .orderBy('next_poll_at')
      .orderBy('id')
      .limit(limit),
  ).execute();
  if (due.length === 0) return [];
  return trx
    .updateTable('watches')
    .set({ lease_owner: owner, lease_expires_at: leaseUntil })
    .where('id', 'in', due.map((row) => row.id))
    .where('state', '=', 'active')
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
    .returningAll()
    .execute();
}

/** The soonest time a watch of these sources falls due, to set the timer; null when none is active. */
export async function nextPollAt(db: Db): Promise<string | null> {
  const row = await db
    .selectFrom('watches')
    .select((eb) => eb.fn.min('next_poll_at').as('due'))
    .where('state', '=', 'active')
    .executeTakeFirst();
  return row?.due ?? null;
}

export interface PollResult {
  readonly state: WatchState;
  readonly nextPollAt: string;
  readonly polledAt: string;
  readonly outcome: string;
  readonly answer: string | null;
}

/**
 * Records the end of a poll and releases the lease; false when `owner` no longer holds it. A
 * watch canceled while its poll ran stays canceled (the answer is still kept by the caller).
 */
export async function finishPoll(trx: Trx, id: string, owner: string, result: PollResult): Promise<boolean> {
  const ending = result.state !== 'active';
  const updated = await trx
    .updateTable('watches')
    .set({
      state: sql<WatchState>`case when state = 'active' then ${result.state} else state end`,
      next_poll_at: result.nextPollAt,
      poll_count: sql<number>`poll_count + 1`,
      last_polled_at: result.polledAt,
      last_outcome: result.outcome,
      last_answer: result.answer,
      updated_at: result.polledAt,
      ended_at: ending ? sql<string | null>`case when state = 'active' then ${result.polledAt} else ended_at end` : sql<string | null>`ended_at`,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

export async function insertPoll(trx: Trx, row: WatchPollTable): Promise<void> {
  await trx.insertInto('watch_polls').values(row).execute();
}

/** reason_code 93: no watch of the source is polled before `until`, in any process. */
export async function pauseSource(trx: Trx, sourceId: string, until: string): Promise<void> {
  await trx
    .updateTable('watches')
    .set({ next_poll_at: until })
    .where('source_id', '=', sourceId)
    .where('state', '=', 'active')
    .where('next_poll_at', '<', until)
    .execute();
}

/** Stops polling an active watch; false when it was not active. */
export async function cancelWatch(db: Db, id: string, now: string): Promise<boolean> {
  const updated = await db
    .updateTable('watches')
    .set({ state: 'canceled', updated_at: now, ended_at: now })
    .where('id', '=', id)
    .where('state', '=', 'active')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/** Watches by state, and when the oldest active one was registered: for the metrics. */
export async function watchCounts(db: Db): Promise<{ byState: Record<string, number>; oldestActiveCreatedAt: string | null }> {
  const rows = await db
    .selectFrom('watches')
    .select((eb) => ['state', eb.fn.countAll().as('n'), eb.fn.min('created_at').as('oldest')])
    .groupBy('state')
    .execute();
  const byState = Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]));
  return { byState, oldestActiveCreatedAt: rows.find((row) => row.state === 'active')?.oldest ?? null };
}
