import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import pino from 'pino';
import request from 'supertest';
import { Metrics } from '../../src/admin/metrics';
import { createAdminApp, createPublicApp } from '../../src/app';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect';
import type { AppDeps } from '../../src/deps';
import { testClock } from '../support/clock';
import { BILLER_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, createTestDatabase, testEngine } from '../support/database';

// CONTRACT 6: the process survives the database going away, answers errors (never a success)
// while it cannot store, says 503 on /readyz, and recovers by itself.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

/** The apps on their own connection to the test database, logging into `lines`. */
function appsOn(handle: DatabaseHandle) {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
  const clock = testClock();
  const deps: AppDeps = {
    config: buildConfig(),
    db: handle.db,
    writes: handle.writes,
    health: handle.health,
    clock,
    logger,
    outbox: { wake: () => undefined },
    metrics: new Metrics(handle.db, clock),
  };
  return { publicApp: createPublicApp(deps), adminApp: createAdminApp(deps), clock, lines };
}

const callback = (app: ReturnType<typeof appsOn>['publicApp'], refid: string, message = '') =>
  request(app).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=${refid}&message=${message}`);

async function storedRefids(): Promise<string[]> {
  const rows = await database.handle.db.selectFrom('events').select('reference').orderBy('reference').execute();
  return rows.map((r) => r.reference);
}

const onSqlite = testEngine() === 'sqlite' ? describe : describe.skip;
const onPostgres = testEngine() === 'postgres' ? describe : describe.skip;

onSqlite('SQLite with a full disk', () => {
  it('answers errors while writes fail, says why in the log, is unready, and recovers when space comes back', async () => {
    const handle = database.reopen();
    const apps = appsOn(handle);
    try {
      await callback(apps.publicApp, 'FULL-0').expect(200);
      const { rows } = await sql<{ page_count: number }>`pragma page_count`.execute(handle.db);
      // The database may not grow past its current size: every insert now hits SQLITE_FULL.
      await sql.raw(`pragma max_page_count = ${rows[0]?.page_count ?? 1}`).execute(handle.db);

      // Free pages inside the file take a few more; then the file is full.
      const accepted = ['FULL-0'];
      for (let n = 1; n <= 200; n++) {
        const res = await callback(apps.publicApp, `FULL-${n}`, 'x'.repeat(2000));
        if (res.status !== 200) break;
        accepted.push(`FULL-${n}`);
      }
      const refused = await Promise.all(['A', 'B', 'C'].map((n) => callback(apps.publicApp, `FULL-${n}`, 'x'.repeat(2000))));
      const unready = await request(apps.adminApp).get('/readyz');

      expect(refused.map((r) => r.status)).toEqual([500, 500, 500]);
      expect(unready.status).toBe(503);
      expect(unready.body).toEqual({ status: 'unavailable', checks: { database: 'ok', migrations: 'current', writes: 'failing' } });
      const logged = apps.lines.join('');
      expect(logged).toContain('database or disk is full');
      expect(logged).not.toContain('cannot rollback');

      await sql.raw('pragma max_page_count = 1073741823').execute(handle.db);
      apps.clock.advance(1000);
      const ready = await request(apps.adminApp).get('/readyz');

      expect(ready.status).toBe(200);
      await callback(apps.publicApp, 'FULL-Z').expect(200);
      expect(await storedRefids()).toEqual([...accepted, 'FULL-Z'].sort());
      expect(accepted.length).toBeLessThan(200);
    } finally {
      await handle.close();
    }
  });
});

onPostgres('PostgreSQL connections terminated', () => {
  it('keeps running, answers errors rather than successes, is unready, and recovers by itself', async () => {
    const backgroundErrors: string[] = [];
    const handle = openDatabase(process.env.TEST_DATABASE_URL ?? '', {
      schema: database.schema ?? '',
      onBackgroundError: (what) => backgroundErrors.push(what),
    });
    const apps = appsOn(handle);
    try {
      await callback(apps.publicApp, 'PG-0').expect(200);
      // Open several pool connections at once and learn their server pids.
      const pids = await Promise.all(
        Array.from({ length: 6 }, () => sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(handle.db)),
      );
      const ours = [...new Set(pids.map((r) => r.rows[0]?.pid ?? 0))];

      // What a restart, a fail-over or an idle-timeout proxy does to them.
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where pid = any(${sql.val(ours)})`.execute(database.handle.db);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const during = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => callback(apps.publicApp, `PG-${n}`)));

      // No request is told a lie: each one is either stored and answered OK, or answered an error.
      const answered = during.map((r) => r.status);
      expect(answered.every((s) => s === 200 || s >= 500)).toBe(true);
      expect(backgroundErrors.length).toBeGreaterThan(0);
      const okRefids = during.flatMap((r, i) => (r.status === 200 ? [`PG-${i + 1}`] : []));
      for (const refid of okRefids) expect(await storedRefids()).toContain(refid);

      // The pool reconnects: a later callback is stored, and readiness follows.
      apps.clock.advance(1000);
      await callback(apps.publicApp, 'PG-9').expect(200);
      await request(apps.adminApp).get('/readyz').expect(200);
    } finally {
      await handle.close();
    }
  });

  it('is unready while the database cannot be reached, and never answers a success', async () => {
    const handle = openDatabase('postgres://receiver:receiver@127.0.0.1:1/nowhere', { onBackgroundError: () => undefined });
    const apps = appsOn(handle);
    try {
      const res = await callback(apps.publicApp, 'NOWHERE-1');
      const ready = await request(apps.adminApp).get('/readyz');

      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database).toBe('unreachable');
    } finally {
      await handle.close();
    }
  });
});
