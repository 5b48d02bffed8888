import type { CompiledQuery, DatabaseConnection, Dialect, Driver, Kysely, QueryCompiler, QueryResult, TransactionSettings } from 'kysely';
import type { DatabaseHealth } from './health';

/**
 * Wraps an engine's dialect so that every driver call reports to `health`, and so that a failed
 * rollback never hides the error that caused it (SQLite rolls back by itself when a COMMIT hits a
 * full disk; a killed PostgreSQL connection cannot roll back at all).
 */
export class GuardedDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly health: DatabaseHealth,
    private readonly onRollbackError: (error: unknown) => void,
  ) {}

  createAdapter() {
    return this.inner.createAdapter();
  }

  createDriver(): Driver {
    return new GuardedDriver(this.inner.createDriver(), this.health, this.onRollbackError);
  }

  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the introspector works on any schema
  createIntrospector(db: Kysely<any>) {
    return this.inner.createIntrospector(db);
  }
}

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

class GuardedDriver implements Driver {
  private readonly transactions = new WeakSet<DatabaseConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly health: DatabaseHealth,
    private readonly onRollbackError: (error: unknown) => void,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.watch(() => this.inner.acquireConnection());
    return new GuardedConnection(connection, this.health, () => this.transactions.has(connection));
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const inner = unwrap(connection);
    await this.watch(() => this.inner.beginTransaction(inner, settings));
    this.transactions.add(inner);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const inner = unwrap(connection);
    this.transactions.delete(inner);
    await this.watch(() => this.inner.commitTransaction(inner));
    this.health.wrote();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const inner = unwrap(connection);
    this.transactions.delete(inner);
    try {
      await this.inner.rollbackTransaction(inner);
    } catch (error) {
      // The transaction is gone either way; the caller rethrows the error that made it roll back.
      this.onRollbackError(error);
    }
  }

  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.watch(() => this.inner.savepoint?.(unwrap(connection), name, compile) ?? Promise.resolve());
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.watch(() => this.inner.rollbackToSavepoint?.(unwrap(connection), name, compile) ?? Promise.resolve());
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.watch(() => this.inner.releaseSavepoint?.(unwrap(connection), name, compile) ?? Promise.resolve());
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }

  private async watch<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.health.failed(error);
      throw error;
    }
  }
}

class GuardedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly health: DatabaseHealth,
    private readonly inTransaction: () => boolean,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const result = await this.inner.executeQuery<R>(query);
      // A write outside a transaction is committed already; inside one, only the COMMIT counts.
      if (!this.inTransaction() && WRITES.has(query.query.kind)) this.health.wrote();
      return result;
    } catch (error) {
      this.health.failed(error);
      throw error;
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof GuardedConnection ? connection.inner : connection;
}
