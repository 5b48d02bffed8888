import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DatabaseHealth } from '../../src/db/health';
import { MIN_FREE_BYTES, readinessCheck } from '../../src/db/readiness';
import { testClock } from '../support/clock';
import { type TestDatabase, createTestDatabase } from '../support/database';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const diskFull = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('readinessCheck after a failed write', () => {
  it('stays unready while the filesystem has no real room, though a small probe would fit', async () => {
    // A commit that failed on a full disk leaves log space behind that a probe could reuse.
    const health = new DatabaseHealth();
    const clock = testClock();
    let free = 64 * 1024;
    const check = readinessCheck(database.handle.db, health, clock, () => Promise.resolve(free));
    health.failed(diskFull);

    const whileFull = await check();
    clock.advance(1000);
    free = MIN_FREE_BYTES;
    const withRoom = await check();

    expect(whileFull).toEqual({ ready: false, checks: { database: 'ok', migrations: 'current', writes: 'failing' } });
    expect(withRoom.ready).toBe(true);
  });
});
