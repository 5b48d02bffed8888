import { CompiledQuery, PostgresAdapter } from 'kysely';
import type { Db, Trx } from './database';

/**
 * A hot-path statement written once in SQL that both engines read the same way, kept in each
 * engine's placeholder style. Building and compiling a kysely query costs more than running it
 * on SQLite; these are built at start, and SQLite's prepared statements are cached by SQL text
 * (statement-cache.ts), so a request only binds values.
 */
export interface Statement {
  readonly sqlite: string;
  readonly postgres: string;
}

/** `?` placeholders, as SQLite writes them; PostgreSQL's `$1, $2, …` are made from them. */
export function statement(text: string): Statement {
  const sql = text.replace(/\s+/g, ' ').trim();
  let n = 0;
  return { sqlite: sql, postgres: sql.replace(/\?/g, () => `$${++n}`) };
}

/** Runs a statement in the caller's transaction (or on the pool); answers the rows it returned. */
export async function runStatement<R>(db: Db | Trx, query: Statement, parameters: readonly unknown[]): Promise<R[]> {
  const text = db.getExecutor().adapter instanceof PostgresAdapter ? query.postgres : query.sqlite;
  const result = await db.executeQuery<R>(CompiledQuery.raw(text, [...parameters]));
  return result.rows;
}

/**
 * The same statement for each row count, made on first use: a multi-row INSERT is one round
 * trip on PostgreSQL and one step on SQLite, whatever the number of rows.
 */
export function multiRowInsert(head: string, columns: number): (rows: number) => Statement {
  const made = new Map<number, Statement>();
  const tuple = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  return (rows) => {
    let found = made.get(rows);
    if (!found) {
      found = statement(`${head} values ${Array.from({ length: rows }, () => tuple).join(', ')}`);
      made.set(rows, found);
    }
    return found;
  };
}
