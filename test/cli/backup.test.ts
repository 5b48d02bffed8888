import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import SqliteDatabase from 'better-sqlite3';
import { type TestApps, buildApps } from '../support/app';
import { BILLER_TOKEN } from '../support/config';
import { type TestDatabase, createTestDatabase, testEngine } from '../support/database';
import request from 'supertest';
import { runCli, writeConfigFile } from './run-cli';

let database: TestDatabase;
let apps: TestApps;
let configFile: string;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  apps = buildApps(database);
  for (const refid of ['B0', 'B1']) {
    apps.deps.clock.advance(1000);
    await request(apps.publicApp).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=${refid}`).expect(200);
  }
  // A token from the environment the backup does not need.
  configFile = writeConfigFile({ sources: [{ id: 'biller-a', type: 'biller', allowedIps: [], token: { env: 'BILLER_A_TOKEN' } }] });
  dir = mkdtempSync(join(tmpdir(), 'receiver-backup-'));
});
afterAll(async () => {
  await database.close();
});

const backup = (file: string, url = database.url) => runCli({ DATABASE_URL: url, CONFIG_FILE: configFile }, 'backup', file);
const onSqlite = testEngine() === 'sqlite' ? it : it.skip;
const onPostgres = testEngine() === 'postgres' ? it : it.skip;

describe('npm run -s cli -- backup <file>', () => {
  onSqlite('copies the database into a new file that opens, passes integrity_check and holds every event', () => {
    const file = join(dir, 'copy.db');

    const result = backup(file);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`backed up to ${file} (${statSync(file).size} bytes, integrity_check ok)\n`);
    const copy = new SqliteDatabase(file, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.prepare('select reference from events order by reference').pluck().all()).toEqual(['B0', 'B1']);
    } finally {
      copy.close();
    }
  });

  onSqlite('leaves the copy readable by its owner only: it holds what callbacks carried', () => {
    const file = join(dir, 'private.db');

    backup(file);

    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  onSqlite('works while another connection is writing, copying what is committed and nothing that is not', () => {
    const file = join(dir, 'live.db');
    const live = new SqliteDatabase(database.url.slice('sqlite:'.length));
    live.pragma('busy_timeout = 5000');
    live.exec('begin immediate');
    live.prepare("update events set provider_status = 'uncommitted' where reference = 'B0'").run();
    try {
      // The server's connection holds the write lock while the backup runs.
      const result = backup(file);

      expect(result.code).toBe(0);
    } finally {
      live.exec('rollback');
      live.close();
    }
    const copy = new SqliteDatabase(file, { readonly: true });
    try {
      expect(copy.prepare('select provider_status from events order by reference').pluck().all()).toEqual(['0', '0']);
    } finally {
      copy.close();
    }
  });

  onSqlite('refuses a file that exists, exit 1, and leaves it as it was', () => {
    const file = join(dir, 'taken.db');
    writeFileSync(file, 'yesterday');

    const result = backup(file);

    expect(result).toEqual({ code: 1, stdout: '', stderr: `receiver: ${file} exists already: name a new file (a backup never overwrites one)\n` });
    expect(readFileSync(file, 'utf8')).toBe('yesterday');
  });

  onSqlite('exits 1 when the folder of the file does not exist, making nothing', () => {
    const file = join(dir, 'no-such-folder', 'copy.db');

    const result = backup(file);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^receiver: backup to ${file} failed: unable to open database`));
    expect(existsSync(file)).toBe(false);
  });

  onSqlite('exits 1 for an SQLite file that is not there, rather than backing up a new empty one', () => {
    const missing = join(dir, 'missing.db');

    const result = backup(join(dir, 'never.db'), `sqlite:${missing}`);

    expect(result).toEqual({ code: 1, stdout: '', stderr: `receiver: no database at ${missing} (DATABASE_URL)\n` });
    expect(existsSync(missing)).toBe(false);
  });

  it('exits 2 on PostgreSQL, naming pg_dump', () => {
    const file = join(dir, 'pg.db');

    const result = backup(file, 'postgres://receiver:secret@127.0.0.1:1/receiver');

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: backup copies an SQLite database; DATABASE_URL names PostgreSQL: use pg_dump (e.g. pg_dump --format=custom --file=receiver.dump "$DATABASE_URL") or your provider\'s snapshots\n',
    );
    expect(existsSync(file)).toBe(false);
  });

  onPostgres("exits 2 on this suite's PostgreSQL database too, without touching it", () => {
    const result = backup(join(dir, 'pg.db'));

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('use pg_dump');
  });
});
