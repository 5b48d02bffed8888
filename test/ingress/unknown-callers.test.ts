import type { Server } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { type TestApps, buildApps } from '../support/app';
import { BILLER_TOKEN, billerSource, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { PARTNER_ID, snapSource } from '../support/snap';

// CONTRACT 3: requests naming no known source, or from an IP no source allows, are kept at most
// 60 a minute per client IP; the rest are only counted, so nobody outside can fill the disk.

const ATTACKER = '198.51.100.66';
const OTHER_ATTACKER = '198.51.100.77';
const PARTNER_IP = '203.0.113.20';

let database: TestDatabase;
let apps: TestApps;
let server: Server;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  // One proxy in front, so each test request can come from the address it names.
  const config = buildConfig({ trustProxy: 1, sources: [billerSource(), billerSource({ id: 'biller-b', allowedIps: [PARTNER_IP] }), snapSource()] });
  apps = buildApps(database, config);
  server = apps.publicApp.listen(0, '127.0.0.1');
});
afterEach(() => {
  server.close();
});

const biller = (from: string, path: string) => request(server).get(path).set('X-Forwarded-For', from);

async function sendMany(count: number, send: () => request.Test, status: number): Promise<void> {
  for (let i = 0; i < count; i++) await send().expect(status);
}

async function recordsFrom(ip: string): Promise<{ reason: string | null }[]> {
  return database.handle.db.selectFrom('inbound_records').select('reason').where('client_ip', '=', ip).execute();
}

async function unrecorded(channel: string, reason: string): Promise<number> {
  const metric = await apps.deps.metrics.registry.getSingleMetric('receiver_inbound_unrecorded_total')?.get();
  return metric?.values.find((v) => v.labels.channel === channel && v.labels.reason === reason)?.value ?? 0;
}

describe('refused requests from callers no source stands behind', () => {
  it('keeps 60 a minute per client IP naming an unknown biller source and counts the rest', async () => {
    await sendMany(65, () => biller(ATTACKER, `/callbacks/biller/nobody/x?status=0&refid=R1`), 404);

    expect(await recordsFrom(ATTACKER)).toHaveLength(60);
    expect(await unrecorded('biller', 'unknown_source')).toBe(5);
  });

  it('gives each client IP its own 60', async () => {
    await sendMany(61, () => biller(ATTACKER, '/callbacks/biller/nobody'), 404);

    await sendMany(61, () => biller(OTHER_ATTACKER, '/callbacks/biller/nobody'), 404);

    expect(await recordsFrom(ATTACKER)).toHaveLength(60);
    expect(await recordsFrom(OTHER_ATTACKER)).toHaveLength(60);
    expect(await unrecorded('biller', 'unknown_source')).toBe(2);
  });

  it('keeps more when the next minute starts', async () => {
    apps.deps.clock.set('2026-11-22T03:00:00.000Z');
    await sendMany(61, () => biller(ATTACKER, '/callbacks/biller/nobody'), 404);
    apps.deps.clock.set('2026-11-22T03:00:59.999Z');
    await biller(ATTACKER, '/callbacks/biller/nobody').expect(404);
    expect(await recordsFrom(ATTACKER)).toHaveLength(60);

    apps.deps.clock.set('2026-11-22T03:01:00.000Z');
    await sendMany(3, () => biller(ATTACKER, '/callbacks/biller/nobody'), 404);

    expect(await recordsFrom(ATTACKER)).toHaveLength(63);
    expect(await unrecorded('biller', 'unknown_source')).toBe(2);
  });

  it('keeps 60 a minute from an IP that no source allows, naming a known source', async () => {
    await sendMany(62, () => biller(ATTACKER, `/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=R1`), 403);

    const records = await recordsFrom(ATTACKER);
    expect(records).toHaveLength(60);
    expect(new Set(records.map((r) => r.reason))).toEqual(new Set(['IP not allowed']));
    expect(await unrecorded('biller', 'ip_not_allowed')).toBe(2);
  });

  it('counts SNAP and biller refusals from one IP against the same 60', async () => {
    await sendMany(30, () => biller(ATTACKER, '/callbacks/biller/nobody'), 404);
    await sendMany(20, () => request(server).post('/v1.0/qr/qr-cpm-notify').set('X-Forwarded-For', ATTACKER).set('X-PARTNER-ID', 'nobody').send({}), 401);
    await sendMany(5, () => request(server).post('/v1.0/access-token/b2b').set('X-Forwarded-For', ATTACKER).set('X-CLIENT-KEY', 'nobody').send({}), 401);
    // Naming no partner at all names no source either.
    await sendMany(7, () => request(server).post('/v1.0/emoney/bulk-cashin-notify').set('X-Forwarded-For', ATTACKER).send({}), 400);

    expect(await recordsFrom(ATTACKER)).toHaveLength(60);
    expect(await unrecorded('snap.bulk-cashin', 'unknown_source')).toBe(2);
    expect(await unrecorded('snap.qr-cpm', 'ip_not_allowed') + (await unrecorded('snap.qr-cpm', 'unknown_source'))).toBe(0);
  });

  it('keeps a SNAP partner calling from an IP its source does not allow at 60 a minute', async () => {
    const notify = () => request(server).post('/v1.0/qr/qr-cpm-notify').set('X-Forwarded-For', ATTACKER).set('X-PARTNER-ID', PARTNER_ID).send({});

    await sendMany(61, notify, 401);

    expect(await recordsFrom(ATTACKER)).toHaveLength(60);
    expect(await unrecorded('snap.qr-cpm', 'ip_not_allowed')).toBe(1);
  });
});

describe('refused requests that a known source stands behind', () => {
  it('are all kept when a source calls from its allowed IP', async () => {
    await sendMany(65, () => biller(PARTNER_IP, `/callbacks/biller/biller-b/wrong-token?status=0&refid=R1`), 403);

    expect(await recordsFrom(PARTNER_IP)).toHaveLength(65);
    expect(await unrecorded('biller', 'unknown_source')).toBe(0);
  });

  it('are all kept when the IP is another source\'s, naming a source that does not allow it', async () => {
    await sendMany(65, () => biller(PARTNER_IP, `/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=R1`), 403);

    expect(await recordsFrom(PARTNER_IP)).toHaveLength(65);
    expect(await unrecorded('biller', 'ip_not_allowed')).toBe(0);
  });
});
