import { mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, Kysely, PostgresDialect, SqliteDialect, type SqliteDialectConfig, SqliteDriver } from 'kysely';
import { Pool } from 'pg';
import type { Database, Db } from './database';
import { GuardedDialect } from './guarded-driver';
import { GroupCommitter } from './group-commit';
import { StatementCache } from './statement-cache';
import { DatabaseHealth } from './health';

export type Engine = 'sqlite' | 'postgres';

const POOL_SIZE = 10;

export interface DatabaseHandle {
  readonly db: Db;
  readonly engine: Engine;
  /** Where the hot paths write: units of work sharing transactions and their COMMITs. */
  readonly writes: GroupCommitter;
  /** Whether writes are going through; `/readyz` reads it. */
  readonly health: DatabaseHealth;
  /** Bytes free on the filesystem of an SQLite file; null where unknown (PostgreSQL, in memory). */
  freeBytes(): Promise<number | null>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL schema to work in (tests give each file its own). */
  readonly schema?: string;
  /**
   * Told about errors no query was waiting for: a connection lost between queries (a killed or
   * restarted server: `error`), or a rollback that failed after the error that caused it (`warn`).
   */
  readonly onBackgroundError?: (what: string, error: unknown, level: 'warn' | 'error') => void;
}

/** Opens the database named by DATABASE_URL: `sqlite:<path>`, `sqlite::memory:` or `postgres://…`. */
export function openDatabase(url: string, options: OpenOptions = {}): DatabaseHandle {
  const health = new DatabaseHealth();
  const report = options.onBackgroundError ?? (() => undefined);
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), health, report);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options, health, report);
  throw new Error('DATABASE_URL must start with sqlite: or postgres://');
}

type Report = NonNullable<OpenOptions['onBackgroundError']>;

function openSqlite(path: string, health: DatabaseHealth, report: Report): DatabaseHandle {
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  if (!inMemory) sqlite.pragma('journal_mode = WAL');
  // FULL syncs the WAL on every commit: an answered callback survives a process crash and a
  // power cut. NORMAL would survive only the former.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const dialect = new GuardedDialect(
    new ImmediateSqliteDialect({ database: new StatementCache(sqlite) }, () => sqlite.inTransaction),
    health,
    (error) => report('rollback failed after an earlier error', error, 'warn'),
  );
  const db = new Kysely<Database>({ dialect });
  const freeBytes = async () => {
    if (inMemory) return null;
    const stats = await statfs(dirname(path));
    return stats.bavail * stats.bsize;
  };
  // One connection: one transaction at a time, as many units in it as wait.
  const writes = new GroupCommitter(db, { maxUnits: 64, concurrency: 1 });
  return { db, engine: 'sqlite', writes, health, freeBytes, close: () => db.destroy() };
}

function openPostgres(url: string, options: OpenOptions, health: DatabaseHealth, report: Report): DatabaseHandle {
  const pool = new Pool({
    connectionString: url,
    max: POOL_SIZE,
    // Fail a request fast while the server is away, rather than queueing it behind a dead pool.
    connectionTimeoutMillis: 5_000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // A server restart, fail-over or `pg_terminate_backend` ends connections between queries; pg
  // then emits 'error' on the pool (idle clients) or on the client itself (checked out, between
  // statements), and an unheard 'error' event would end the process. The broken client is
  // dropped from the pool on release and the next query connects anew.
  pool.on('error', (error) => {
    health.failed(error);
    report('idle database connection lost', error, 'error');
  });
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      health.failed(error);
      report('database connection lost', error, 'error');
    });
  });
  const dialect = new GuardedDialect(new PostgresDialect({ pool }), health, (error) => report('rollback failed after an earlier error', error, 'warn'));
  const db = new Kysely<Database>({ dialect });
  // Some transactions at once, each on its own connection, leaving the rest of the pool to the
  // delivery workers and the admin API.
  const writes = new GroupCommitter(db, { maxUnits: 64, concurrency: Math.max(1, Math.floor(POOL_SIZE / 2)) });
  return { db, engine: 'postgres', writes, health, freeBytes: () => Promise.resolve(null), close: () => db.destroy() };
}

/**
 * Every transaction here writes, so it starts with BEGIN IMMEDIATE: it takes the write lock up
 * front and waits (busy_timeout) for it. A plain BEGIN reads first and then fails at once with
 * "database is locked" when two connections both try to upgrade to writing.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    private readonly driverConfig: SqliteDialectConfig,
    private readonly inTransaction: () => boolean,
  ) {
    super(driverConfig);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.driverConfig, this.inTransaction);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly inTransaction: () => boolean,
  ) {
    super(config);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  // SQLite rolls a transaction back by itself when a statement or COMMIT hits a full disk or an
  // I/O error; a ROLLBACK then would only fail with "no transaction is active".
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.inTransaction()) await super.rollbackTransaction(connection);
  }
}
