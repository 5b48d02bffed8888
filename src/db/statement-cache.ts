import type SqliteDatabase from 'better-sqlite3';

const MAX_STATEMENTS = 500;

/**
 * Hands kysely's SQLite driver a prepared statement per SQL text, prepared once: the driver asks
 * for a new one on every query, and preparing costs as much as running a small INSERT. Bounded,
 * since admin queries with many filters make many texts; the least recently used goes first.
 * Safe because the driver never streams: a statement is done with before the next query starts.
 */
export class StatementCache {
  private readonly statements = new Map<string, SqliteDatabase.Statement>();

  constructor(private readonly database: SqliteDatabase.Database) {}

  prepare(sql: string): SqliteDatabase.Statement {
    const cached = this.statements.get(sql);
    if (cached) {
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached;
    }
    const prepared = this.database.prepare(sql);
    this.statements.set(sql, prepared);
    if (this.statements.size > MAX_STATEMENTS) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.statements.delete(oldest);
    }
    return prepared;
  }

  close(): void {
    this.statements.clear();
    this.database.close();
  }
}
