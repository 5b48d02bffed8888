import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { migrateTo, migrateToLatest } from '../../src/db/migrator';
import { type TestDatabase, createTestDatabase } from '../support/database';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const row = (externalId: string, channel: string, createdAt: string) => ({
  source_id: 'bank-x',
  external_id: externalId,
  jakarta_day: '2026-11-22',
  channel,
  body_hash: 'h',
  inbound_id: `inb_${externalId}_${channel}`,
  response_status: 200,
  response_body: '{}',
  created_at: createdAt,
});

describe('migration 004_provider_forms', () => {
  it('keeps the X-EXTERNAL-ID claims made before it, and then lets one id be used once per route', async () => {
    await migrateTo(database.handle.db, '003_deliveries');
    await database.handle.db.insertInto('snap_requests').values(row('E1', 'snap.qr-cpm', '2026-11-22T03:00:00.000Z')).execute();

    await migrateToLatest(database.handle.db);
    await database.handle.db.insertInto('snap_requests').values(row('E1', 'snap.bulk-cashin', '2026-11-22T03:00:01.000Z')).execute();

    const claims = await database.handle.db.selectFrom('snap_requests').select(['external_id', 'channel']).orderBy('channel').execute();
    expect(claims).toEqual([
      { external_id: 'E1', channel: 'snap.bulk-cashin' },
      { external_id: 'E1', channel: 'snap.qr-cpm' },
    ]);
    // By message: the driver's error class may come from another realm than jest's Error.
    await expect(database.handle.db.insertInto('snap_requests').values(row('E1', 'snap.qr-cpm', '2026-11-22T03:00:02.000Z')).execute()).rejects.toHaveProperty(
      'message',
      expect.stringMatching(/UNIQUE constraint failed|duplicate key/),
    );
  });

  it('steps back down keeping the first claim of an id used on two routes', async () => {
    await migrateTo(database.handle.db, '003_deliveries');

    const claims = await database.handle.db.selectFrom('snap_requests').select(['external_id', 'channel']).execute();
    expect(claims).toEqual([{ external_id: 'E1', channel: 'snap.qr-cpm' }]);
    await migrateToLatest(database.handle.db);
  });
});
