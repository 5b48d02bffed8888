import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import { type TestApps, buildApps } from '../support/app';
import { ADMIN_TOKEN, BILLER_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { SECRET, type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';
import { type CliResult, lines, runCli, writeConfigFile } from './run-cli';

// The admin API's reads as commands: each --json answer is the admin API's own body.

let database: TestDatabase;
let ledger: TestSubscriber;
let apps: TestApps;
let env: Record<string, string>;
/** The environment a command that writes or signs needs: every secret's variable set. */
let writeEnv: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = await startSubscriber();
  // The first attempt fails, so one delivery has an attempt log of two.
  ledger.reply = (_request, n) => (n === 0 ? { status: 500, body: 'try later' } : { status: 200, body: 'ok' });
  const subscribers = [subscriberConfig(ledger.url, { retrySchedule: [5] })];
  apps = buildApps(database, buildConfig({ subscribers }));
  for (const refid of ['R0', 'R1', 'R2']) {
    apps.deps.clock.advance(60_000);
    await request(apps.publicApp).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=${refid}`).expect(200);
  }
  apps.deps.clock.advance(60_000);
  await request(apps.publicApp).get('/callbacks/biller/biller-a/wrong-token?status=0&refid=R3').expect(403);
  const worker = new DeliveryDispatcher({ db: database.handle.db, clock: apps.deps.clock, logger: pino({ level: 'silent' }), subscribers, workers: 1, random: () => 0.5 });
  await worker.processDue();
  apps.deps.clock.advance(10_000);
  await worker.processDue();

  // Secrets as an operator's config file would have them: in the environment, not in the file.
  const configFile = writeConfigFile({
    sources: [{ id: 'biller-a', type: 'biller', allowedIps: ['127.0.0.1'], token: { env: 'BILLER_A_TOKEN' } }],
    subscribers: [{ id: 'ledger', url: ledger.url, secret: { env: 'LEDGER_SECRET' } }],
  });
  env = { DATABASE_URL: database.url, CONFIG_FILE: configFile };
  writeEnv = { ...env, BILLER_A_TOKEN: BILLER_TOKEN, LEDGER_SECRET: SECRET };
});
afterAll(async () => {
  await ledger.close();
  await database.close();
});

const cli = (...args: string[]) => runCli(env, ...args);
const api = async (path: string) => (await request(apps.adminApp).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200)).body as unknown;
const json = (result: CliResult) => JSON.parse(result.stdout) as unknown;

async function eventId(reference: string): Promise<string> {
  return (await database.handle.db.selectFrom('events').select('id').where('reference', '=', reference).executeTakeFirstOrThrow()).id;
}

async function firstDeliveryId(): Promise<string> {
  return (await database.handle.db.selectFrom('deliveries').select('id').where('attempts', '=', 2).executeTakeFirstOrThrow()).id;
}

describe('npm run -s cli -- events show <id>', () => {
  it('prints with --json what GET /admin/events/:id answers: the event, its inbound record, its deliveries with attempts', async () => {
    const id = await eventId('R0');

    const result = cli('events', 'show', id, '--json');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(json(result)).toEqual(await api(`/admin/events/${id}`));
    expect(result.stdout.split('\n')).toHaveLength(2);
  });

  it('prints the event, the request it came from and each delivery with its attempt log', async () => {
    const id = await eventId('R0');
    const delivery = await firstDeliveryId();

    const { code, stdout } = cli('events', 'show', id);

    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^id +${id}\n`));
    expect(stdout).toMatch(/\nreference +R0\n/);
    expect(stdout).toMatch(/\nstatus +SUCCESS\n/);
    expect(stdout).toMatch(/\ninbound +inb_\w+ \(accepted, answered 200, GET \/callbacks\/biller\/biller-a\/\[REDACTED\]\?status=0&refid=R0\)\n/);
    expect(stdout).toContain(`\ndeliveries:\n  id             ${delivery}\n`);
    expect(stdout).toMatch(/\n {4}1 +\S+ +retry +500 +\d+ +HTTP 500\n {4}2 +\S+ +delivered +200 +\d+\n$/);
  });

  it('exits 1 for an event that does not exist', () => {
    expect(cli('events', 'show', 'evt_none')).toEqual({ code: 1, stdout: '', stderr: 'receiver: no event evt_none\n' });
  });
});

describe('npm run -s cli -- transactions show <source> <reference>', () => {
  it('prints with --json what GET /admin/transactions/:source/:reference answers', async () => {
    const result = cli('transactions', 'show', 'biller-a', 'R1', '--json');

    expect(result.code).toBe(0);
    expect(json(result)).toEqual(await api('/admin/transactions/biller-a/R1'));
  });

  it('prints the current status and the history, oldest first', async () => {
    const id = await eventId('R1');

    const { code, stdout } = cli('transactions', 'show', 'biller-a', 'R1');

    expect(code).toBe(0);
    expect(stdout).toMatch(/^source +biller-a\nreference +R1\nchannel +biller\nstatus +SUCCESS\n/);
    expect(stdout).toContain(`set by     ${id}\n`);
    expect(stdout).toMatch(new RegExp(`\nevents, oldest first:\n  id +createdAt +source +channel +reference +status +amount\n  ${id} +\\S+ +biller-a +biller +R1 +SUCCESS\n$`));
  });

  it('exits 1 for a transaction that does not exist', () => {
    expect(cli('transactions', 'show', 'biller-a', 'NOPE')).toEqual({ code: 1, stdout: '', stderr: 'receiver: no transaction NOPE from biller-a\n' });
  });
});

describe('npm run -s cli -- inbound list / show', () => {
  it('lists with --json what GET /admin/inbound answers, one record a line, filtered', async () => {
    const rejected = cli('inbound', 'list', '--outcome', 'rejected', '--json');
    const all = cli('inbound', 'list', '--json');

    const fromApi = (await api('/admin/inbound?outcome=rejected')) as { items: unknown[] };
    expect(rejected.code).toBe(0);
    expect(lines(rejected.stdout).map((l) => JSON.parse(l) as unknown)).toEqual(fromApi.items);
    expect(fromApi.items).toHaveLength(1);
    expect(lines(all.stdout)).toHaveLength(4);
  });

  it('prints a table, newest first, with the outcome, our answer and the reason', () => {
    const { code, stdout } = cli('inbound', 'list', '--source', 'biller-a', '--since', '2026-11-22T03:00:00Z');

    expect(code).toBe(0);
    const [header, ...rows] = lines(stdout);
    expect(header).toMatch(/^id +receivedAt +source +channel +outcome +answer +reason$/);
    expect(rows.map((row) => row.split(/ +/).slice(2, 6))).toEqual([
      ['biller-a', 'biller', 'rejected', '403'],
      ['biller-a', 'biller', 'accepted', '200'],
      ['biller-a', 'biller', 'accepted', '200'],
      ['biller-a', 'biller', 'accepted', '200'],
    ]);
  });

  it('shows one record as GET /admin/inbound/:id does, and exits 1 for one that does not exist', async () => {
    const [record] = (await api('/admin/inbound?outcome=rejected') as { items: { id: string }[] }).items;

    const shown = cli('inbound', 'show', record!.id, '--json');
    const missing = cli('inbound', 'show', 'inb_none');

    expect(json(shown)).toEqual(await api(`/admin/inbound/${record!.id}`));
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'receiver: no inbound record inb_none\n' });
  });
});

describe('npm run -s cli -- deliveries show <id>', () => {
  it('prints with --json what GET /admin/deliveries/:id answers, attempts included', async () => {
    const id = await firstDeliveryId();

    const result = cli('deliveries', 'show', id, '--json');

    expect(result.code).toBe(0);
    const body = json(result) as { attemptLog: { statusCode: number; responseBody: string }[] };
    expect(body).toEqual(await api(`/admin/deliveries/${id}`));
    expect(body.attemptLog.map((a) => [a.statusCode, a.responseBody])).toEqual([[500, 'try later'], [200, 'ok']]);
  });

  it('prints the delivery and its attempt log', async () => {
    const id = await firstDeliveryId();

    const { code, stdout } = cli('deliveries', 'show', id);

    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^id +${id}\nsubscriber +ledger\n`));
    expect(stdout).toMatch(/\nstate +delivered\nattempts +2\n/);
    expect(stdout).toMatch(/\nattempt log:\n {2}attempt +startedAt +outcome +status +latencyMs +error\n {2}1 +\S+ +retry +500 +\d+ +HTTP 500\n {2}2 +\S+ +delivered +200 +\d+\n$/);
  });

  it('exits 1 for a delivery that does not exist', () => {
    expect(cli('deliveries', 'show', 'dlv_none')).toEqual({ code: 1, stdout: '', stderr: 'receiver: no delivery dlv_none\n' });
  });
});

describe('paging through a list with --cursor', () => {
  it('prints a page of the table on stdout and the next page\'s --cursor on stderr; the last page says nothing more', async () => {
    const { nextCursor } = (await api('/admin/events?limit=2')) as { nextCursor: string };

    const first = cli('events', 'list', '--limit', '2');
    const second = cli('events', 'list', '--limit', '2', '--cursor', nextCursor);

    expect(first.code).toBe(0);
    expect(lines(first.stdout).map((l) => l.split(/ +/)[4])).toEqual(['reference', 'R2', 'R1']);
    expect(first.stderr).toBe(`next page: --cursor ${nextCursor}\n`);
    expect(lines(second.stdout).map((l) => l.split(/ +/)[4])).toEqual(['reference', 'R0']);
    expect(second.stderr).toBe('');
  });

  it('with --json, prints the items one a line on stdout and "next cursor: …" on stderr, as the admin API pages', async () => {
    const firstPage = (await api('/admin/deliveries?limit=1')) as { items: unknown[]; nextCursor: string };
    const secondPage = (await api(`/admin/deliveries?limit=1&cursor=${firstPage.nextCursor}`)) as { items: unknown[]; nextCursor: string };

    const first = cli('deliveries', 'list', '--limit', '1', '--json');
    const second = cli('deliveries', 'list', '--limit', '1', '--json', '--cursor', firstPage.nextCursor);

    expect(lines(first.stdout).map((l) => JSON.parse(l) as unknown)).toEqual(firstPage.items);
    expect(first.stderr).toBe(`next cursor: ${firstPage.nextCursor}\n`);
    expect(lines(second.stdout).map((l) => JSON.parse(l) as unknown)).toEqual(secondPage.items);
    expect(second.stderr).toBe(`next cursor: ${secondPage.nextCursor}\n`);
  });

  it('pages inbound records and watches the same way', async () => {
    const inbound = (await api('/admin/inbound?limit=3')) as { nextCursor: string };

    const inboundPage = cli('inbound', 'list', '--limit', '3', '--json');
    const watches = cli('watch', 'list', '--limit', '1', '--json');

    expect(lines(inboundPage.stdout)).toHaveLength(3);
    expect(inboundPage.stderr).toBe(`next cursor: ${inbound.nextCursor}\n`);
    expect(watches).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('secrets in the environment', () => {
  it.each([
    ['events list'],
    ['events show'],
    ['transactions show'],
    ['inbound list'],
    ['inbound show'],
    ['deliveries list'],
    ['deliveries show'],
    ['watch list'],
  ])('%s reads without any secret\'s variable set', async (command) => {
    const args: Record<string, string[]> = {
      'events show': [await eventId('R0')],
      'transactions show': ['biller-a', 'R0'],
      'inbound show': [(await database.handle.db.selectFrom('inbound_records').select('id').executeTakeFirstOrThrow()).id],
      'deliveries show': [await firstDeliveryId()],
    };

    const result = cli(...command.split(' '), ...(args[command] ?? []));

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    ['replay', ['replay', '--all', '--dry-run']],
    ['reprocess', ['reprocess', 'inb_none']],
    ['deliveries retry', ['deliveries', 'retry', 'dlv_none']],
    ['watch add', ['watch', 'add', '--source', 'mmbc-reload', '--invoice', 'INV-1']],
    ['watch cancel', ['watch', 'cancel', 'wch_none']],
    ['migrate', ['migrate']],
    ['serve', ['serve']],
  ])('%s, which writes or signs, refuses to start without them, naming the variable', (_command, args) => {
    const result = cli(...args);

    expect(result).toEqual({ code: 2, stdout: '', stderr: 'config: /sources/0/token: environment variable BILLER_A_TOKEN is not set\n' });
  });

  it('replay runs once they are set', () => {
    const result = runCli(writeEnv, 'replay', '--all', '--dry-run', '--json');

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ events: 3, deliveries: 3, dryRun: true });
  });
});

describe('npm run -s cli -- reprocess <inboundId>', () => {
  const db = () => database.handle.db;

  it('re-derives the events of a stored request and answers what POST /admin/inbound/:id/reprocess would', async () => {
    // R2's event as if an older parser had not made it: the request is kept, the event is not.
    const event = await db().selectFrom('events').selectAll().where('reference', '=', 'R2').executeTakeFirstOrThrow();
    const deliveries = await db().selectFrom('deliveries').select('id').where('event_id', '=', event.id).execute();
    await db().deleteFrom('delivery_attempts').where('delivery_id', 'in', deliveries.map((d) => d.id)).execute();
    await db().deleteFrom('deliveries').where('event_id', '=', event.id).execute();
    await db().deleteFrom('transactions').where('reference', '=', 'R2').execute();
    await db().deleteFrom('events').where('id', '=', event.id).execute();

    const first = runCli(writeEnv, 'reprocess', event.inbound_id!);
    const again = runCli(writeEnv, 'reprocess', event.inbound_id!, '--json');

    const made = await db().selectFrom('events').selectAll().where('reference', '=', 'R2').executeTakeFirstOrThrow();
    expect(first).toEqual({ code: 0, stdout: `new events: ${made.id}\n`, stderr: '' });
    expect(made).toMatchObject({ inbound_id: event.inbound_id, status: 'SUCCESS', source_id: 'biller-a' });
    const queued = await db().selectFrom('deliveries').select(['subscriber_id', 'state']).where('event_id', '=', made.id).execute();
    expect(queued).toEqual([{ subscriber_id: 'ledger', state: 'pending' }]);
    const fromApi = await request(apps.adminApp).post(`/admin/inbound/${event.inbound_id!}/reprocess`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(JSON.parse(again.stdout)).toEqual({ events: [], duplicateOf: [made.id] });
    expect(fromApi.body).toEqual({ events: [], duplicateOf: [made.id] });
  });

  it('says an already recorded request made nothing new', async () => {
    const event = await db().selectFrom('events').selectAll().where('reference', '=', 'R0').executeTakeFirstOrThrow();

    const result = runCli(writeEnv, 'reprocess', event.inbound_id!);

    expect(result).toEqual({ code: 0, stdout: `no new events\nalready recorded: ${event.id}\n`, stderr: '' });
  });

  it('exits 1 for a rejected request, or one that does not exist', async () => {
    const rejected = await db().selectFrom('inbound_records').selectAll().where('outcome', '=', 'rejected').executeTakeFirstOrThrow();

    const refused = runCli(writeEnv, 'reprocess', rejected.id);
    const missing = runCli(writeEnv, 'reprocess', 'inb_none');

    expect(refused).toEqual({ code: 1, stdout: '', stderr: `receiver: inbound record ${rejected.id} was rejected (${rejected.reason ?? ''})\n` });
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'receiver: no inbound record inb_none\n' });
  });
});
