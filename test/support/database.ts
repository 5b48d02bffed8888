import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect';
import { migrateToLatest } from '../../src/db/migrator';

export type TestEngine = 'sqlite' | 'postgres';

/** Which engine this jest project runs on (see jest.config.js). */
export function testEngine(): TestEngine {
  return (globalThis as { TEST_ENGINE?: TestEngine }).TEST_ENGINE ?? 'sqlite';
}

export interface TestDatabase {
  readonly handle: DatabaseHandle;
  /** Opens a second, independent connection to the same data. */
  reopen(): DatabaseHandle;
  /** DATABASE_URL for a child process, with the options it needs. */
  readonly url: string;
  readonly schema?: string;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: an SQLite file in a temporary folder, or a
 * PostgreSQL schema of its own, dropped at close.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (testEngine() === 'postgres') return createPostgresSchema();
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'receiver-test-')), 'receiver.db')}`;
  const handle = openDatabase(url);
  await migrateToLatest(handle.db);
  return { handle, url, reopen: () => openDatabase(url), close: () => handle.close() };
}

async function createPostgresSchema(): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL must be set for the postgres test project');
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = openDatabase(url);
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  await admin.close();
  const handle = openDatabase(url, { schema });
  await migrateToLatest(handle.db);
  return {
    handle,
    url: `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    schema,
    reopen: () => openDatabase(url, { schema }),
    async close() {
      await handle.close();
      const cleanup = openDatabase(url);
      await sql`drop schema ${sql.id(schema)} cascade`.execute(cleanup.db);
      await cleanup.close();
    },
  };
}

/** Empties every table, children first, so a test starts from nothing. */
export async function clearTables(database: TestDatabase): Promise<void> {
  const db = database.handle.db;
  for (const table of ['event_repeats', 'subscriber_pauses', 'watch_polls', 'watches', 'delivery_attempts', 'deliveries', 'events', 'transactions', 'snap_requests', 'access_tokens', 'inbound_records'] as const) {
    await db.deleteFrom(table).execute();
  }
}

export async function countEvents(database: TestDatabase): Promise<number> {
  const row = await sql<{ n: number | string }>`select count(*) as n from events`.execute(database.handle.db);
  return Number(row.rows[0]?.n);
}
