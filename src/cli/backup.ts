import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CommandFailed, UsageError } from './cli-support';

export interface BackupResult {
  readonly file: string;
  readonly bytes: number;
}

/**
 * Copies the SQLite database named by `databaseUrl` into a new file with `VACUUM INTO`: one read
 * transaction, so in WAL mode a running server goes on writing meanwhile, and the copy is a
 * consistent snapshot (a plain file copy of a live WAL database is not). The copy is checked
 * before it is called a backup. PostgreSQL has its own tools for this.
 */
export function backupSqlite(databaseUrl: string, target: string): BackupResult {
  if (!databaseUrl.startsWith('sqlite:')) {
    throw new UsageError(
      'backup copies an SQLite database; DATABASE_URL names PostgreSQL: use pg_dump (e.g. pg_dump --format=custom --file=receiver.dump "$DATABASE_URL") or your provider\'s snapshots',
    );
  }
  const source = databaseUrl.slice('sqlite:'.length);
  if (source === ':memory:') throw new UsageError('DATABASE_URL is sqlite::memory:, a database that lives only inside one process: nothing to back up');
  if (!existsSync(source)) throw new CommandFailed(`no database at ${source} (DATABASE_URL)`);
  const file = resolve(target);
  if (existsSync(file)) throw new CommandFailed(`${target} exists already: name a new file (a backup never overwrites one)`);

  const database = new SqliteDatabase(source, { fileMustExist: true });
  // The copy holds what the database holds, customers' phone numbers among it: owner-only.
  const umask = process.umask(0o077);
  try {
    database.pragma('busy_timeout = 5000');
    database.prepare('vacuum into ?').run(file);
  } catch (error) {
    throw new CommandFailed(`backup to ${target} failed: ${(error as Error).message}`);
  } finally {
    process.umask(umask);
    database.close();
  }

  const copy = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const verdict = copy.pragma('integrity_check', { simple: true });
    if (verdict !== 'ok') throw new CommandFailed(`the backup in ${target} fails integrity_check (${String(verdict)}): do not rely on it`);
  } finally {
    copy.close();
  }
  return { file, bytes: statSync(file).size };
}
