import { mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, Kysely, PostgresDialect, SqliteDialect, type SqliteDialectConfig, SqliteDriver, sql } from 'kysely';
import { type ClientConfig, Pool } from 'pg';
import type { Database, Db } from './database';
import { describeConnectionError, redactDatabaseUrl } from './database-url';
import { GuardedDialect } from './guarded-driver';
import { GroupCommitter } from './group-commit';
import { StatementCache } from './statement-cache';
import { DatabaseHealth } from './health';
import { NotifyChannel } from './notify-channel';
import { AlreadyServedError, type ServingLock, lockForServing } from './sqlite-serving-lock';

export type Engine = 'sqlite' | 'postgres';

const DEFAULT_POOL_SIZE = 10;

export interface DatabaseHandle {
  readonly db: Db;
  readonly engine: Engine;
  /** Where the hot paths write: units of work sharing transactions and their COMMITs. */
  readonly writes: GroupCommitter;
  /** Whether writes are going through; `/readyz` reads it. */
  readonly health: DatabaseHealth;
  /** Bytes free on the filesystem of an SQLite file; null where unknown (PostgreSQL, in memory). */
  freeBytes(): Promise<number | null>;
  /**
   * How processes on one PostgreSQL database tell each other that work was committed (LISTEN/NOTIFY);
   * null on SQLite, which one process serves.
   */
  readonly wakeups: NotifyChannel | null;
  /** Runs `work` on one connection free of the statement timeout (migrations may take minutes). */
  withoutStatementTimeout<T>(work: (db: Db) => Promise<T>): Promise<T>;
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
  /** PostgreSQL connections in the pool (DATABASE_POOL_SIZE); 10 when absent. */
  readonly poolSize?: number;
  /** PostgreSQL `statement_timeout` in ms (DATABASE_STATEMENT_TIMEOUT_MS); absent or 0: the server's own setting. */
  readonly statementTimeoutMs?: number;
  /** This process serves the database: an SQLite file another process serves is refused. */
  readonly serving?: boolean;
}

/** The database named by DATABASE_URL cannot be opened or does not answer; the message says which and why. */
export class DatabaseUnreachableError extends Error {}

/** Opens the database named by DATABASE_URL: `sqlite:<path>`, `sqlite::memory:` or `postgres://…`. */
export function openDatabase(url: string, options: OpenOptions = {}): DatabaseHandle {
  const health = new DatabaseHealth();
  const report = options.onBackgroundError ?? (() => undefined);
  if (url.startsWith('sqlite:')) return openSqlite(url, options, health, report);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options, health, report);
  throw new Error('DATABASE_URL must start with sqlite: or postgres://');
}

/**
 * Opens the database and makes sure it answers, so that a process that cannot work says so at
 * start, naming DATABASE_URL (password hidden), rather than failing in its first query.
 */
export async function connectDatabase(url: string, options: OpenOptions = {}): Promise<DatabaseHandle> {
  const handle = openDatabase(url, options);
  try {
    await sql`select 1`.execute(handle.db);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw new DatabaseUnreachableError(`cannot connect to the database at DATABASE_URL ${redactDatabaseUrl(url)} (${describeConnectionError(error)})`);
  }
  return handle;
}

type Report = NonNullable<OpenOptions['onBackgroundError']>;

function openSqlite(url: string, options: OpenOptions, health: DatabaseHealth, report: Report): DatabaseHandle {
  const path = url.slice('sqlite:'.length);
  const inMemory = path === ':memory:';
  let lock: ServingLock | null = null;
  let opened: SqliteDatabase.Database | null = null;
  try {
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    if (options.serving && !inMemory) lock = lockForServing(path, url);
    opened = new SqliteDatabase(path);
    if (!inMemory) opened.pragma('journal_mode = WAL');
  } catch (error) {
    opened?.close();
    lock?.release();
    if (error instanceof AlreadyServedError) throw error;
    throw new DatabaseUnreachableError(`cannot open the database at DATABASE_URL ${url} (${describeConnectionError(error)})`);
  }
  const sqlite = opened;
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
  const close = async () => {
    await db.destroy();
    lock?.release();
  };
  return { db, engine: 'sqlite', writes, health, freeBytes, wakeups: null, withoutStatementTimeout: (work) => work(db), close };
}

function openPostgres(url: string, options: OpenOptions, health: DatabaseHealth, report: Report): DatabaseHandle {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  const connection: ClientConfig = {
    connectionString: url,
    // Fail a request fast while the server is away, rather than queueing it behind a dead pool.
    connectionTimeoutMillis: 5_000,
    // A startup parameter, so it costs no statement; pg sends none for 0 and the server's own applies.
    statement_timeout: options.statementTimeoutMs ?? 0,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  };
  const pool = new Pool({ ...connection, max: poolSize });
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
  // delivery workers' reads, the admin API and /readyz.
  const writes = new GroupCommitter(db, { maxUnits: 64, concurrency: Math.max(1, Math.floor(poolSize / 2)) });
  const wakeups = new NotifyChannel(pool, connection);
  const withoutStatementTimeout = <T>(work: (db: Db) => Promise<T>): Promise<T> =>
    db.connection().execute(async (one) => {
      await sql`set statement_timeout = 0`.execute(one);
      try {
        return await work(one);
      } finally {
        // Back to the session's setting (the startup parameter) before the pool hands it out
        // again. Only a broken connection fails here, and the pool drops it.
        await sql`reset statement_timeout`.execute(one).catch(() => undefined);
      }
    });
  const close = async () => {
    await wakeups.close();
    await db.destroy();
  };
  return { db, engine: 'postgres', writes, health, freeBytes: () => Promise.resolve(null), wakeups, withoutStatementTimeout, close };
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
