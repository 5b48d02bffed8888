import { hostname } from 'node:os';
import SqliteDatabase from 'better-sqlite3';

/** Held by the one process serving an SQLite file, for as long as it serves. */
export interface ServingLock {
  release(): void;
}

/** Another live process serves the file already. */
export class AlreadyServedError extends Error {}

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * Makes sure only one server works on an SQLite file (the CLI's commands may still open it).
 * Two servers would each keep their own rate limits, leases and wake-ups while taking turns at
 * one write lock; PostgreSQL is the engine for several processes.
 *
 * The lock is SQLite's own: a write transaction kept open on a small file beside the database,
 * `<file>.lock`. SQLite locks files with fcntl, so the operating system drops the lock when the
 * process ends however it ends: a server that crashed never blocks the next start, and no pid
 * is ever guessed to be dead or alive. The holder's pid and host are written there first, for
 * the message that refuses a second server.
 */
export function lockForServing(databasePath: string, shownUrl: string): ServingLock {
  // A short busy wait covers two servers starting at the same instant: the loser reads the
  // winner's name instead of failing on the winner's brief commit of it.
  const lock = new SqliteDatabase(`${databasePath}.lock`, { timeout: 1_000 });
  try {
    lock.exec('begin immediate');
    lock.exec('create table if not exists holder (pid integer not null, host text not null, since text not null)');
    lock.exec('delete from holder');
    lock.prepare('insert into holder (pid, host, since) values (?, ?, ?)').run(process.pid, hostname(), new Date().toISOString());
    lock.exec('commit');
    // Held until the process lets go or ends. Readers are not blocked by it, so a second server
    // can read who holds it.
    lock.exec('begin immediate');
  } catch (error) {
    const holder = isBusy(error) ? readHolder(lock) : null;
    lock.close();
    if (!isBusy(error)) throw error;
    // Our own name there means another process took the lock between our two transactions.
    const who = holder && (holder.pid !== process.pid || holder.host !== hostname()) ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}` : 'pid unknown';
    throw new AlreadyServedError(`another receiver (${who}) is serving ${shownUrl}; stop it, or use PostgreSQL to run several replicas`);
  }
  return {
    release() {
      if (lock.open) lock.close();
    },
  };
}

function readHolder(lock: SqliteDatabase.Database): Holder | null {
  try {
    if (lock.inTransaction) lock.exec('rollback');
    return (lock.prepare('select pid, host, since from holder').get() as Holder | undefined) ?? null;
  } catch {
    return null;
  }
}

function isBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 'SQLITE_BUSY';
}
