import { PostgresAdapter, type SelectQueryBuilder } from 'kysely';
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
