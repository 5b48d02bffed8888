import { performance } from 'node:perf_hooks';
import { CompiledQuery } from 'kysely';
import type { Db, Trx } from './database';

/** A unit of work: every write of one request, given the open transaction it must use alone. */
export type UnitOfWork<T> = (trx: Trx) => Promise<T>;

/** Where writes go: each unit is durable (committed) when the promise resolves, never before. */
export interface Writes {
  run<T>(work: UnitOfWork<T>): Promise<T>;
}

/** Told of every transaction the committer ran: how many units it held and how long it took. */
export type CommitObserver = (commit: { readonly units: number; readonly seconds: number; readonly ok: boolean }) => void;

export interface GroupCommitOptions {
  /** Most units one transaction holds. */
  readonly maxUnits: number;
  /** Transactions open at once: 1 for SQLite (one connection), a few for PostgreSQL's pool. */
  readonly concurrency: number;
}

interface Queued {
  readonly work: UnitOfWork<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Times this unit lost a deadlock to another transaction and was run again. */
  retries: number;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

const SAVEPOINT = CompiledQuery.raw('savepoint unit');
const RELEASE = CompiledQuery.raw('release savepoint unit');
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint unit');
// PostgreSQL's deadlock_detected and serialization_failure: the unit did nothing wrong, it ran at
// the same time as another transaction touching the same rows in another order.
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_RETRIES = 3;

/**
 * Group commit. Units that arrive while a transaction is committing wait for the next one, and
 * every unit waiting then shares it: one fsynced COMMIT for all of them instead of one each.
 * When a unit fails, the transaction is rolled back and its units run again each in its own
 * savepoint, so the failed one is undone alone and the others still commit. A unit hears of its
 * outcome only after the COMMIT, and when the COMMIT fails every unit in it hears that error,
 * whatever its own outcome was (it may have read another unit's uncommitted writes).
 */
export class GroupCommitter implements Writes {
  private readonly queue: Queued[] = [];
  private open = 0;
  private scheduled = false;
  private observer: CommitObserver = () => undefined;

  constructor(
    private readonly db: Db,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Metrics live above the storage layer: they are handed in once the process has them. */
  observe(observer: CommitObserver): void {
    this.observer = observer;
  }

  run<T>(work: UnitOfWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject, retries: 0 });
      this.schedule();
    });
  }

  /**
   * Starts the next transaction once the requests whose I/O the event loop is handling now have
   * queued their units too: waiting for the check phase costs microseconds and fills the batch.
   */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.open >= this.options.concurrency) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.open < this.options.concurrency) {
        void this.commit(this.queue.splice(0, this.options.maxUnits));
      }
    });
  }

  private async commit(units: Queued[]): Promise<void> {
    this.open += 1;
    const started = performance.now();
    let outcomes: Outcome[] | null = null;
    let failure: unknown = null;
    try {
      outcomes = await this.db.transaction().execute((trx) => runTogether(trx, units));
    } catch (error) {
      if (error instanceof UnitFailed && units.length > 1) {
        // Everything was undone: run the units again, each in a savepoint, so that only the one
        // that fails is undone. Failures are rare; savepoints for every unit would cost each one
        // two more statements (two round trips on PostgreSQL) every time.
        try {
          outcomes = await this.db.transaction().execute((trx) => runApart(trx, units));
        } catch (again) {
          failure = again;
        }
      } else {
        failure = error instanceof UnitFailed ? error.unitError : error;
      }
    } finally {
      this.open -= 1;
    }
    this.observer({ units: units.length, seconds: (performance.now() - started) / 1000, ok: outcomes !== null });
    const again: Queued[] = [];
    units.forEach((unit, i) => {
      const outcome = outcomes?.[i] ?? { ok: false, error: failure };
      if (outcome.ok) unit.resolve(outcome.value);
      else if (isRetryable(outcome.error) && unit.retries < MAX_RETRIES) again.push(unit);
      else unit.reject(outcome.error);
    });
    for (const unit of again) unit.retries += 1;
    this.queue.unshift(...again);
    this.schedule();
  }
}

/** Each unit in a transaction of its own: for paths where nothing waits to share one. */
export function ownTransactions(db: Db): Writes {
  return { run: (work) => db.transaction().execute(work) };
}

/** Thrown out of a transaction of units run together, to roll it back whole. */
class UnitFailed extends Error {
  constructor(readonly unitError: unknown) {
    super('a unit of work failed');
  }
}

/** Every unit, one after the other, with no savepoints: the first to fail rolls back the transaction. */
async function runTogether(trx: Trx, units: readonly Queued[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const unit of units) {
    try {
      outcomes.push({ ok: true, value: await unit.work(trx) });
    } catch (error) {
      throw new UnitFailed(error);
    }
  }
  return outcomes;
}

/** Every unit in a savepoint of its own: one that fails is undone alone. */
async function runApart(trx: Trx, units: readonly Queued[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const unit of units) {
    await trx.executeQuery(SAVEPOINT);
    try {
      outcomes.push({ ok: true, value: await unit.work(trx) });
    } catch (error) {
      // When the transaction itself is gone (SQLite rolled back on a full disk, PostgreSQL lost
      // the connection) this fails, and the unit's error fails the whole transaction.
      await rollbackToSavepoint(trx, error);
      outcomes.push({ ok: false, error });
    }
    await trx.executeQuery(RELEASE);
  }
  return outcomes;
}

async function rollbackToSavepoint(trx: Trx, cause: unknown): Promise<void> {
  try {
    await trx.executeQuery(ROLLBACK_TO);
  } catch {
    throw cause;
  }
}

function isRetryable(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && RETRYABLE.has(code);
}
