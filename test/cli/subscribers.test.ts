import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { newId } from '../../src/clock';
import * as inboundService from '../../src/ingress/inbound.service';
import { testClock } from '../support/clock';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { SECRET, type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

// The subscriber tools of the admin API, from the command line: list, pause, resume, test, and
// the bulk retry of dead deliveries.

const CLI = join(__dirname, '../../dist/src/cli.js');
let database: TestDatabase;
let hook: TestSubscriber;
let configFile: string;

beforeAll(async () => {
  database = await createTestDatabase();
  hook = await startSubscriber();
  configFile = join(mkdtempSync(join(tmpdir(), 'receiver-cli-subscribers-')), 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      sources: [{ id: 'bank-x', type: 'biller', allowedIps: ['127.0.0.1'] }],
      subscribers: [
        { id: 'ledger', url: hook.url, secret: SECRET, timeoutSeconds: 2 },
        { id: 'audit', url: 'http://user:hunter2-password@127.0.0.1:9/hooks', secret: { env: 'AUDIT_SECRET' } },
      ],
    }),
  );
});
afterAll(async () => {
  await hook.close();
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  await database.handle.db.deleteFrom('subscriber_pauses').execute();
});

/** Runs the compiled CLI without blocking the event loop, so the test's own subscriber can answer. */
function cli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, CONFIG_FILE: configFile, AUDIT_SECRET: SECRET, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** One stored biller report with a delivery to each subscriber, made dead; answers the delivery ids. */
async function deadDeliveries(reference: string, at: string): Promise<string[]> {
  const clock = testClock(at);
  const subscribers = [subscriberConfig(hook.url), subscriberConfig('http://127.0.0.1:9/hooks', { id: 'audit' })];
  const request = { id: newId('inb', clock), requestId: 'r', receivedAt: at, sourceId: 'bank-x', channel: 'biller', clientIp: '127.0.0.1', method: 'GET', url: '/', headers: {}, body: null };
  const report = { source: 'bank-x', channel: 'biller' as const, reference, providerReference: null, status: 'SUCCESS' as const, providerStatus: '0', amount: null, occurredAt: null, details: {} };
  await inboundService.storeAccepted(database.handle.writes, { clock, subscribers }, request, [report], { status: 200, body: 'OK' });
  const rows = await database.handle.db.selectFrom('deliveries').select('id').where('reference', '=', reference).execute();
  await database.handle.db.updateTable('deliveries').set({ state: 'dead', attempts: 2 }).where('reference', '=', reference).execute();
  return rows.map((r) => r.id);
}

async function states(): Promise<Record<string, string>> {
  const rows = await database.handle.db.selectFrom('deliveries').select(['reference', 'subscriber_id', 'state']).execute();
  return Object.fromEntries(rows.map((r) => [`${r.reference}/${r.subscriber_id}`, r.state]));
}

describe('subscribers list, pause and resume', () => {
  it('lists every subscriber with its backlog, hides credentials in URLs, and needs no secret to read', async () => {
    await deadDeliveries('R1', '2026-11-22T03:00:00.000Z');
    const { code, stdout } = await cli(['subscribers', 'list', '--json'], { AUDIT_SECRET: '' });

    expect(code).toBe(0);
    const views = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(views.map((v) => [v.id, v.paused, v.dead])).toEqual([
      ['ledger', false, 1],
      ['audit', false, 1],
    ]);
    expect(stdout).not.toContain('hunter2');
  });

  it('pause is kept in the database until resume; an unknown subscriber exits 2', async () => {
    const paused = await cli(['subscribers', 'pause', 'ledger']);
    expect(paused).toMatchObject({ code: 0, stdout: 'ledger is paused: 0 deliveries wait for it\n' });
    expect(await database.handle.db.selectFrom('subscriber_pauses').select('subscriber_id').execute()).toEqual([{ subscriber_id: 'ledger' }]);
    const listed = await cli(['subscribers', 'list']);
    expect(listed.stdout).toMatch(/ledger\s+\S+\s+since 20/);

    const resumed = await cli(['subscribers', 'resume', 'ledger', '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ id: 'ledger', paused: false });
    expect(await database.handle.db.selectFrom('subscriber_pauses').select('subscriber_id').execute()).toEqual([]);

    const unknown = await cli(['subscribers', 'pause', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('nobody');
  });
});

describe('subscribers test', () => {
  it('sends one signed payment.test event and stores nothing; a subscriber that does not answer 2xx exits 1', async () => {
    const before = hook.received.length;
    const sent = await cli(['subscribers', 'test', 'ledger']);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^delivered: tst_\S+ to ledger, HTTP 200 in \d+ ms\n$/);
    const request = hook.received[before];
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ type: 'payment.test', data: { subscriber: 'ledger' } });
    expect(request?.headers['webhook-signature']).toMatch(/^v1,/);
    expect(await database.handle.db.selectFrom('deliveries').select('id').execute()).toEqual([]);

    const refused = await cli(['subscribers', 'test', 'audit', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ delivered: false, status: null });
  });
});

describe('deliveries retry in bulk', () => {
  it('retries dead deliveries by subscriber and time, counts them with --dry-run, and wants --all for everything', async () => {
    await deadDeliveries('OLD', '2026-11-20T03:00:00.000Z');
    await deadDeliveries('NEW', '2026-11-22T03:00:00.000Z');

    const vague = await cli(['deliveries', 'retry']);
    expect(vague.code).toBe(2);
    expect(vague.stderr).toContain('--all');

    const counted = await cli(['deliveries', 'retry', '--subscriber', 'ledger', '--dry-run', '--json']);
    expect(JSON.parse(counted.stdout)).toEqual({ deliveries: 2, dryRun: true });
    expect(Object.values(await states()).every((s) => s === 'dead')).toBe(true);

    const narrowed = await cli(['deliveries', 'retry', '--subscriber', 'ledger', '--since', '2026-11-21T00:00:00Z']);
    expect(narrowed).toMatchObject({ code: 0, stdout: 'retried 1 dead deliveries\n' });
    expect(await states()).toEqual({ 'OLD/ledger': 'dead', 'OLD/audit': 'dead', 'NEW/ledger': 'pending', 'NEW/audit': 'dead' });

    const everything = await cli(['deliveries', 'retry', '--all']);
    expect(everything.stdout).toBe('retried 3 dead deliveries\n');
    expect(Object.values(await states()).every((s) => s === 'pending')).toBe(true);

    const both = await cli(['deliveries', 'retry', 'dlv_x', '--all']);
    expect(both.code).toBe(2);
  });
});
