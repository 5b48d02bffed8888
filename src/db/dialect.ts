import { PostgresAdapter, type SelectQueryBuilder, sql } from 'kysely';
import type { Db, Trx } from './database';

// The few places where the engines differ, kept together.

export function isPostgres(db: Db | Trx): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * PostgreSQL: `FOR UPDATE SKIP LOCKED`, so processes claiming work pass over rows another is
 * claiming. SQLite has one writer at a time and no such clause; the caller's conditional update
 * is what makes a claim exclusive there.
 */
export function skipLockedRows<DB, TB extends keyof DB, O>(
  db: Db | Trx,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return isPostgres(db) ? query.forUpdate().skipLocked() : query;
}

/**
 * PostgreSQL plans from table statistics, and autovacuum refreshes them only a minute or so after
 * a table has changed a lot. Right after a bulk replay queues thousands of deliveries into a table
 * that was nearly empty, the claim query is planned as if they were not there and walks every
 * pending delivery for each one it looks at (hundreds of milliseconds a claim instead of one).
 * Refreshing the statistics at once takes a few milliseconds. SQLite keeps no statistics here.
 */
export async function refreshStatistics(db: Db, table: 'deliveries'): Promise<void> {
  if (!isPostgres(db)) return;
  try {
    await sql`analyze ${sql.table(table)}`.execute(db);
  } catch {
    // Only the table's owner may: without it, autovacuum catches up a little later.
  }
}

