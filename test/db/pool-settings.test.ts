import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect';
import type { Db } from '../../src/db/database';
import { type TestDatabase, createTestDatabase, testEngine } from '../support/database';

// DATABASE_POOL_SIZE and DATABASE_STATEMENT_TIMEOUT_MS are PostgreSQL settings.
const describePostgres = testEngine() === 'postgres' ? describe : describe.skip;

let database: TestDatabase;
const opened: DatabaseHandle[] = [];

beforeAll(async () => {
  if (testEngine() === 'postgres') database = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(opened.map((handle) => handle.close()));
  await database?.close();
});

function open(options: { poolSize?: number; statementTimeoutMs?: number }): DatabaseHandle {
  const handle = openDatabase(process.env.TEST_DATABASE_URL ?? '', { schema: database.schema ?? '', ...options });
  opened.push(handle);
  return handle;
}

async function setting(db: Db): Promise<string> {
  const { rows } = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db);
  return rows[0]?.statement_timeout ?? '';
}

describePostgres('the PostgreSQL pool', () => {
  it('opens at most poolSize connections however many queries wait', async () => {
    const handle = open({ poolSize: 3 });

    const answers = await Promise.all(
      Array.from({ length: 9 }, () => sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(handle.db)),
    );

    expect(new Set(answers.map((answer) => answer.rows[0]?.pid)).size).toBe(3);
  });

  it('cancels a statement that runs longer than statementTimeoutMs', async () => {
    const handle = open({ statementTimeoutMs: 200 });

    const slow = sql`select pg_sleep(2)`.execute(handle.db);

    await expect(slow).rejects.toMatchObject({ code: '57014' });
    expect(await setting(handle.db)).toBe('200ms');
  });

  it('leaves the server its own statement_timeout when statementTimeoutMs is 0', async () => {
    const handle = open({ statementTimeoutMs: 0 });

    expect(await setting(handle.db)).toBe('0');
  });

  it('runs work without the timeout on request (migrations), and hands the connection back with it', async () => {
    const handle = open({ poolSize: 1, statementTimeoutMs: 200 });

    const longer = await handle.withoutStatementTimeout(async (db) => {
      await sql`select pg_sleep(0.4)`.execute(db);
      return setting(db);
    });

    expect(longer).toBe('0');
    // One connection in the pool: this is the one the work ran on.
    expect(await setting(handle.db)).toBe('200ms');
  });
});
