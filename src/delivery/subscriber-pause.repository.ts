import type { Db } from '../db/database';

/** Pauses a subscriber; pausing a paused one keeps its first time. Answers when it was paused. */
export async function pause(db: Db, subscriberId: string, now: string): Promise<string> {
  await db
    .insertInto('subscriber_pauses')
    .values({ subscriber_id: subscriberId, paused_at: now })
    .onConflict((oc) => oc.column('subscriber_id').doNothing())
    .execute();
  const row = await db.selectFrom('subscriber_pauses').select('paused_at').where('subscriber_id', '=', subscriberId).executeTakeFirst();
  return row?.paused_at ?? now;
}

/** Resumes a subscriber; false when it was not paused. */
export async function resume(db: Db, subscriberId: string): Promise<boolean> {
  const deleted = await db.deleteFrom('subscriber_pauses').where('subscriber_id', '=', subscriberId).executeTakeFirst();
  return Number(deleted.numDeletedRows) === 1;
}

/** Every paused subscriber, with when it was paused. */
export async function pausedSince(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('subscriber_pauses').select(['subscriber_id', 'paused_at']).execute();
  return new Map(rows.map((row) => [row.subscriber_id, row.paused_at]));
}
