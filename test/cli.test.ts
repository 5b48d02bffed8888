import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { newId } from '../src/clock';
import type { Status } from '../src/events/event';
import * as inboundService from '../src/ingress/inbound.service';
import { type WatchView, registerWatch, toWatchView } from '../src/polling/watch.service';
import { testClock } from './support/clock';
import { buildConfig, mmbcMultipaymentSource, mmbcPpobSource } from './support/config';
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
      sources: [
        { id: 'bank-x', type: 'biller', allowedIps: ['127.0.0.1'] },
        ...[mmbcMultipaymentSource(), mmbcPpobSource()].map(({ id, type, baseUrl, username, password, pollSchedule, deadlineSeconds }) => ({
          id,
          type,
          baseUrl,
          username,
          password,
          pollSchedule,
          deadlineSeconds,
        })),
      ],
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

describe('npm run -s cli -- migrate', () => {
  it('says the database is current when it is', () => {
    const { code, stdout } = cli('migrate');

    expect(code).toBe(0);
    expect(stdout).toBe('database is current\n');
  });
});

describe('npm run -s cli -- events list', () => {
  it('prints a table, newest first', () => {
    const { code, stdout } = cli('events', 'list');

    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+createdAt\s+source\s+channel\s+reference\s+status\s+amount$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(4, 6).join(' '))).toEqual(['R2 FAILED', 'R1 SUCCESS', 'R1 PENDING']);
  });

  it('prints only the events on stdout when run as the README says (npm run -s), so the output pipes into jq', () => {
    const direct = cli('events', 'list', '--json');

    // npm, the build step and all, as an operator types it.
    const viaNpm = spawnSync('npm', ['run', '-s', 'cli', '--', 'events', 'list', '--json'], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, DATABASE_URL: database.url, CONFIG_FILE: configFile },
      encoding: 'utf8',
      timeout: 120_000,
    });

    expect(viaNpm.status).toBe(0);
    expect(viaNpm.stdout).toBe(direct.stdout);
    expect(viaNpm.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { data: { reference: string } }).data.reference)).toEqual(['R2', 'R1', 'R1']);
  }, 150_000);

  it('prints one JSON event a line with --json, filtered', () => {
    const { code, stdout } = cli('events', 'list', '--reference', 'R1', '--json');

    expect(code).toBe(0);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as { data: { status: string } });
    expect(events.map((e) => e.data.status)).toEqual(['SUCCESS', 'PENDING']);
  });

  it('exits 2 for a status that does not exist, naming the flag and every allowed value', () => {
    const { code, stdout, stderr } = cli('events', 'list', '--status', 'DONE');

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      "error: option '--status <status>' argument 'DONE' is invalid. Allowed choices are PENDING, SUCCESS, FAILED, CANCELED, REFUNDED, NOT_FOUND.\n" +
        '(add --help for the options and examples)\n',
    );
  });
});

describe('npm run -s cli -- replay', () => {
  it('counts without changing anything on --dry-run', async () => {
    const before = await deliveryCount();

    const { code, stdout } = cli('replay', '--all', '--dry-run', '--json');

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

  it('refuses to replay without a filter unless --all says so: exit 2 naming --all, nothing queued', async () => {
    const before = await deliveryCount();

    const bare = cli('replay');
    const onlySubscriber = cli('replay', '--subscriber', 'ledger');

    const message = 'error: replay needs a filter (--source, --channel, --reference, --status, --since, --until), or --all to replay every event\n';
    expect(bare).toEqual({ code: 2, stdout: '', stderr: message });
    expect(onlySubscriber).toEqual({ code: 2, stdout: '', stderr: message });
    expect(await deliveryCount()).toBe(before);
  });

  it('refuses --all together with a filter', async () => {
    const before = await deliveryCount();

    const result = cli('replay', '--all', '--status', 'SUCCESS');

    expect(result).toEqual({ code: 2, stdout: '', stderr: 'error: --all replays every event: give it without a filter\n' });
    expect(await deliveryCount()).toBe(before);
  });

  it('queues every event for every subscriber with --all', async () => {
    const before = await deliveryCount();

    const { code, stdout } = cli('replay', '--all');

    expect(code).toBe(0);
    expect(stdout).toBe('queued 3 deliveries for 3 events\n');
    expect(await deliveryCount()).toBe(before + 3);
  });

  it('exits 2 for an unknown subscriber', () => {
    const { code, stderr } = cli('replay', '--all', '--subscriber', 'nobody');

    expect(code).toBe(2);
    expect(stderr).toBe("error: option '--subscriber <id...>': no subscriber \"nobody\"\n");
  });
});

describe('npm run -s cli -- deliveries', () => {
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

describe('npm run -s cli -- watch', () => {
  const db = () => database.handle.db;
  const watchConfig = buildConfig({ sources: [mmbcMultipaymentSource(), mmbcPpobSource()] });

  beforeEach(async () => {
    await db().deleteFrom('watch_polls').execute();
    await db().deleteFrom('watches').execute();
  });

  /** Watches registered as the admin API would, one minute apart from 03:00 on. */
  async function seedWatches(...bodies: { source: string; invoice: string; customerNumber?: string }[]): Promise<WatchView[]> {
    const clock = testClock();
    const watches: WatchView[] = [];
    for (const body of bodies) {
      clock.advance(60_000);
      watches.push(toWatchView((await registerWatch(db(), watchConfig, clock, body)).watch));
    }
    return watches;
  }

  const lines = (stdout: string) => stdout.trim().split('\n').filter((line) => line !== '');
  const jsonLines = (stdout: string) => lines(stdout).map((line) => JSON.parse(line) as WatchView);

  it('watch add registers a watch, first poll after the schedule\'s first wait, and says so', async () => {
    const { code, stdout, stderr } = cli('watch', 'add', '--source', 'mmbc-reload', '--invoice', 'INV-CLI-1');

    expect(code).toBe(0);
    expect(stderr).toBe('');
    const row = await db().selectFrom('watches').selectAll().executeTakeFirstOrThrow();
    expect(stdout).toBe(`watching: ${row.id} (active, first poll at ${row.next_poll_at})\n`);
    expect(row).toMatchObject({ source_id: 'mmbc-reload', invoice: 'INV-CLI-1', customer_number: null, state: 'active' });
    expect(Date.parse(row.next_poll_at) - Date.parse(row.created_at)).toBe(10_000);
    expect(Date.parse(row.deadline_at) - Date.parse(row.created_at)).toBe(3_600_000);
  });

  it('watch add says "already watched" for the same source and invoice, and keeps one watch', async () => {
    const first = cli('watch', 'add', '--source', 'mmbc-reload', '--invoice', 'INV-CLI-1');

    const second = cli('watch', 'add', '--source', 'mmbc-reload', '--invoice', 'INV-CLI-1');

    const rows = await db().selectFrom('watches').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(first.stdout).toBe(`watching: ${rows[0]!.id} (active, first poll at ${rows[0]!.next_poll_at})\n`);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`already watched: ${rows[0]!.id} (active, first poll at ${rows[0]!.next_poll_at})\n`);
  });

  it('watch add --json prints the watch, a PPOB one with its customer number', async () => {
    const { code, stdout } = cli('watch', 'add', '--source', 'mmbc-ppob', '--invoice', 'PPOB-CLI-1', '--customer-number', '512345678901', '--json');

    expect(code).toBe(0);
    const row = await db().selectFrom('watches').selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(stdout)).toEqual({
      id: row.id,
      source: 'mmbc-ppob',
      invoice: 'PPOB-CLI-1',
      customerNumber: '512345678901',
      state: 'active',
      createdAt: row.created_at,
      updatedAt: row.created_at,
      deadlineAt: row.deadline_at,
      nextPollAt: row.next_poll_at,
      pollCount: 0,
      lastPolledAt: null,
      lastOutcome: null,
      lastAnswer: null,
      endedAt: null,
    });
    expect(stdout.endsWith('}\n')).toBe(true);
  });

  it('watch add exits 2 for a PPOB watch without --customer-number, naming it, and stores nothing', async () => {
    const { code, stdout, stderr } = cli('watch', 'add', '--source', 'mmbc-ppob', '--invoice', 'PPOB-CLI-1');

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('error: --customer-number (ppob_nomorpelanggan) is required for mmbc-ppob, a PPOB source\n');
    expect(await db().selectFrom('watches').select('id').execute()).toEqual([]);
  });

  it('watch add exits 2 for a source that is not an MMBC one, or an invoice with a space', () => {
    const biller = cli('watch', 'add', '--source', 'bank-x', '--invoice', 'INV-CLI-1');
    const spaced = cli('watch', 'add', '--source', 'mmbc-reload', '--invoice', 'INV CLI 1');

    expect(biller.code).toBe(2);
    expect(biller.stderr).toBe('error: --source bank-x is of type biller: only mmbc-multipayment and mmbc-ppob sources are polled\n');
    expect(spaced.code).toBe(2);
    expect(spaced.stderr).toBe(
      "error: option '--invoice <invoice>' argument 'INV CLI 1' is invalid. It must be 1 to 64 visible ASCII characters, without spaces.\n" +
        '(add --help for the options and examples)\n',
    );
  });

  it('watch add exits 1 when the invoice is watched for another customer number', async () => {
    const [watch] = await seedWatches({ source: 'mmbc-ppob', invoice: 'PPOB-CLI-1', customerNumber: '512345678901' });

    const { code, stdout, stderr } = cli('watch', 'add', '--source', 'mmbc-ppob', '--invoice', 'PPOB-CLI-1', '--customer-number', '512345678902');

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`receiver: mmbc-ppob invoice PPOB-CLI-1 is watched already (${watch!.id}) for customer number 512345678901\n`);
  });

  it('watch list --json prints one watch a line, newest first', async () => {
    const [a, b, c] = await seedWatches(
      { source: 'mmbc-reload', invoice: 'INV-A' },
      { source: 'mmbc-ppob', invoice: 'PPOB-B', customerNumber: '512345678901' },
      { source: 'mmbc-reload', invoice: 'INV-C' },
    );

    const { code, stdout } = cli('watch', 'list', '--json');

    expect(code).toBe(0);
    expect(jsonLines(stdout)).toEqual([c, b, a]);
  });

  it('watch list --state and --source filter the list', async () => {
    const [a, b, c] = await seedWatches(
      { source: 'mmbc-reload', invoice: 'INV-A' },
      { source: 'mmbc-ppob', invoice: 'PPOB-B', customerNumber: '512345678901' },
      { source: 'mmbc-reload', invoice: 'INV-C' },
    );
    await db().updateTable('watches').set({ state: 'done', ended_at: c!.createdAt }).where('id', '=', c!.id).execute();

    const active = cli('watch', 'list', '--state', 'active', '--json');
    const done = cli('watch', 'list', '--state', 'done', '--json');
    const activeReload = cli('watch', 'list', '--state', 'active', '--source', 'mmbc-reload', '--json');
    const expired = cli('watch', 'list', '--state', 'expired', '--json');

    expect(jsonLines(active.stdout).map((w) => w.id)).toEqual([b!.id, a!.id]);
    expect(jsonLines(done.stdout)).toEqual([{ ...c, state: 'done', nextPollAt: null, endedAt: c!.createdAt }]);
    expect(jsonLines(activeReload.stdout).map((w) => w.id)).toEqual([a!.id]);
    expect(expired).toMatchObject({ code: 0, stdout: '' });
  });

  it('watch list prints a table, newest first, and says when there is none', async () => {
    const empty = cli('watch', 'list');
    const [a, b] = await seedWatches({ source: 'mmbc-reload', invoice: 'INV-A' }, { source: 'mmbc-ppob', invoice: 'PPOB-B', customerNumber: '512345678901' });

    const { code, stdout } = cli('watch', 'list', '--limit', '5');

    expect(empty).toMatchObject({ code: 0, stdout: '(no watches)\n' });
    expect(code).toBe(0);
    const [header, ...rows] = lines(stdout);
    expect(header).toMatch(/^id\s+source\s+invoice\s+state\s+polls\s+lastOutcome\s+nextPollAt\s+deadlineAt$/);
    expect(rows.map((row) => row.split(/\s+/))).toEqual([
      [b!.id, 'mmbc-ppob', 'PPOB-B', 'active', '0', b!.nextPollAt, b!.deadlineAt],
      [a!.id, 'mmbc-reload', 'INV-A', 'active', '0', a!.nextPollAt, a!.deadlineAt],
    ]);
  });

  it('watch list exits 2 for a state that does not exist', () => {
    const { code, stderr } = cli('watch', 'list', '--state', 'paused');

    expect(code).toBe(2);
    expect(stderr).toContain("argument 'paused' is invalid");
  });

  it('watch cancel cancels an active watch, and says so again when it is canceled already', async () => {
    const [watch] = await seedWatches({ source: 'mmbc-reload', invoice: 'INV-A' });

    const first = cli('watch', 'cancel', watch!.id);
    const second = cli('watch', 'cancel', watch!.id, '--json');

    expect(first).toMatchObject({ code: 0, stdout: `watch ${watch!.id} is canceled\n` });
    const row = await db().selectFrom('watches').selectAll().where('id', '=', watch!.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('canceled');
    expect(row.ended_at).not.toBeNull();
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ ...watch, state: 'canceled', updatedAt: row.updated_at, endedAt: row.ended_at, nextPollAt: null });
  });

  it('watch cancel exits 1 for a watch that is done, or that does not exist', async () => {
    const [watch] = await seedWatches({ source: 'mmbc-reload', invoice: 'INV-A' });
    await db().updateTable('watches').set({ state: 'done', ended_at: watch!.createdAt }).where('id', '=', watch!.id).execute();

    const done = cli('watch', 'cancel', watch!.id);
    const unknown = cli('watch', 'cancel', 'wch_nothing');

    expect(done).toMatchObject({ code: 1, stdout: '', stderr: `receiver: watch ${watch!.id} is done: only an active watch can be canceled\n` });
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: 'receiver: no watch wch_nothing\n' });
    const row = await db().selectFrom('watches').select('state').where('id', '=', watch!.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('done');
  });
});
