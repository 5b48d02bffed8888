import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { migrateTo, migrateToLatest } from '../../src/db/migrator';
import * as pauseRepository from '../../src/delivery/subscriber-pause.repository';
import { type TestDatabase, createTestDatabase } from '../support/database';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

describe('migration 009_subscriber_pauses', () => {
  it('keeps one pause per subscriber, and rolls back to 008 and forward again', async () => {
    const db = database.handle.db;

    const first = await pauseRepository.pause(db, 'ledger', '2026-11-22T03:00:00.000Z');
    const again = await pauseRepository.pause(db, 'ledger', '2026-11-22T04:00:00.000Z');
    await migrateTo(db, '008_watches');
    // On PostgreSQL, only this test's schema: other test files' schemas sit beside it.
    const tablesAfterDown = (await db.introspection.getTables()).filter((table) => database.schema === undefined || table.schema === database.schema);
    await migrateToLatest(db);

    expect([first, again]).toEqual(['2026-11-22T03:00:00.000Z', '2026-11-22T03:00:00.000Z']);
    expect(tablesAfterDown.map((table) => table.name)).not.toContain('subscriber_pauses');
    expect(await pauseRepository.pausedSince(db)).toEqual(new Map());
    expect(await pauseRepository.resume(db, 'ledger')).toBe(false);
  });
});
