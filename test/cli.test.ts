import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newId } from '../src/clock';
import type { Status } from '../src/events/event';
import * as inboundService from '../src/ingress/inbound.service';
import { testClock } from './support/clock';
import { type TestDatabase, createTestDatabase } from './support/database';
import { SECRET, subscriberConfig } from './support/subscriber';

const CLI = join(__dirname, '../dist/src/cli.js');
let database: TestDatabase;
let configFile: string;
let deadId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'receiver-cli-'));
  configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      sources: [{ id: 'bank-x', type: 'biller', allowedIps: ['127.0.0.1'] }],
      subscribers: [{ id: 'ledger', url: 'http://127.0.0.1:9/hooks', secret: SECRET }],
    }),
  );
  const clock = testClock();
  const subscribers = [subscriberConfig('http://127.0.0.1:9/hooks')];
  const reports: [string, Status][] = [['R1', 'PENDING'], ['R1', 'SUCCESS'], ['R2', 'FAILED']];
  for (const [reference, status] of reports) {
    clock.advance(60_000);
    const request = { id: newId('inb', clock), requestId: 'r', receivedAt: clock.now().toISOString(), sourceId: 'bank-x', channel: 'biller', clientIp: '127.0.0.1', method: 'GET', url: '/', headers: {}, body: null };
    const report = { source: 'bank-x', channel: 'biller' as const, reference, providerReference: null, status, providerStatus: '0', amount: { value: '1000.00', currency: 'IDR' }, occurredAt: null, details: {} };
    await inboundService.storeAccepted(database.handle.writes, { clock, subscribers }, request, [report], { status: 200, body: 'OK' });
  }
  const last = await database.handle.db.selectFrom('deliveries').select('id').where('reference', '=', 'R2').executeTakeFirstOrThrow();
  deadId = last.id;
  await database.handle.db.updateTable('deliveries').set({ state: 'dead', attempts: 7, last_error: 'HTTP 500' }).where('id', '=', deadId).execute();
});
afterAll(async () => {
  await database.close();
});

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, CONFIG_FILE: configFile },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function deliveryCount(): Promise<number> {
  return (await database.handle.db.selectFrom('deliveries').select('id').execute()).length;
}

describe('npm run cli -- migrate', () => {
  it('says the database is current when it is', () => {
    const { code, stdout } = cli('migrate');

    expect(code).toBe(0);
    expect(stdout).toBe('database is current\n');
  });
});

describe('npm run cli -- events list', () => {
  it('prints a table, newest first', () => {
    const { code, stdout } = cli('events', 'list');

    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+createdAt\s+source\s+channel\s+reference\s+status\s+amount$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(4, 6).join(' '))).toEqual(['R2 FAILED', 'R1 SUCCESS', 'R1 PENDING']);
  });

  it('prints one JSON event a line with --json, filtered', () => {
    const { code, stdout } = cli('events', 'list', '--reference', 'R1', '--json');

    expect(code).toBe(0);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as { data: { status: string } });
    expect(events.map((e) => e.data.status)).toEqual(['SUCCESS', 'PENDING']);
  });

  it('exits 2 for a bad filter', () => {
    const { code, stderr } = cli('events', 'list', '--status', 'DONE');

    expect(code).toBe(2);
    expect(stderr).toBe('status must be equal to one of the allowed values\n');
  });
});

describe('npm run cli -- replay', () => {
  it('counts without changing anything on --dry-run', async () => {
    const before = await deliveryCount();

    const { code, stdout } = cli('replay', '--dry-run', '--json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ events: 3, deliveries: 3, dryRun: true });
    expect(await deliveryCount()).toBe(before);
  });

  it('queues matching events for the named subscriber, with a progress line', async () => {
    const before = await deliveryCount();

    const { code, stdout, stderr } = cli('replay', '--reference', 'R1', '--subscriber', 'ledger');

    expect(code).toBe(0);
    expect(stdout).toBe('queued 2 deliveries for 2 events\n');
    expect(stderr).toBe('queued 2 deliveries for 2 events…\n');
    expect(await deliveryCount()).toBe(before + 2);
  });

  it('exits 2 for an unknown subscriber', () => {
    const { code, stderr } = cli('replay', '--subscriber', 'nobody');

    expect(code).toBe(2);
    expect(stderr).toBe('no subscriber "nobody"\n');
  });
});

describe('npm run cli -- deliveries', () => {
  it('lists dead deliveries', () => {
    const { code, stdout } = cli('deliveries', 'list', '--state', 'dead');

    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(deadId);
    expect(lines[1]).toMatch(/ledger .* R2\s+dead\s+7\s+HTTP 500$/);
  });

  it('retries a dead delivery, and exits 1 when asked again', async () => {
    const first = cli('deliveries', 'retry', deadId, '--json');
    const second = cli('deliveries', 'retry', deadId);

    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ id: deadId, state: 'pending' });
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`receiver: delivery ${deadId} is pending, not dead\n`);
    const row = await database.handle.db.selectFrom('deliveries').select('state').where('id', '=', deadId).executeTakeFirstOrThrow();
    expect(row.state).toBe('pending');
  });

  it('exits 2 for an unknown command', () => {
    expect(cli('deliveries', 'explode').code).toBe(2);
  });
});
