import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { Client } from 'pg';
import pino from 'pino';
import request from 'supertest';
import { Metrics } from '../../src/admin/metrics';
import { createPublicApp } from '../../src/app';
import { systemClock } from '../../src/clock';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect';
import { DeliveryDispatcher } from '../../src/delivery/delivery.worker';
import { BILLER_TOKEN, buildConfig } from '../support/config';
import { type TestDatabase, clearTables, createTestDatabase, testEngine } from '../support/database';
import { type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

// Two processes on one PostgreSQL database, each with its own pool and listener: one stores
// callbacks (no workers of its own), the other delivers, and polls only once a minute.

const onPostgres = testEngine() === 'postgres' ? describe : describe.skip;
const onSqlite = testEngine() === 'sqlite' ? describe : describe.skip;
const POLL_MS = 60_000;
// Far below the poll: only an announcement can deliver in time.
const PROMPTLY_MS = 3_000;

let database: TestDatabase;
let hook: TestSubscriber;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  hook = await startSubscriber();
});
afterEach(async () => {
  await hook.close();
});

async function waitFor(check: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function withParameter(url: string, name: string, value: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
}

interface Replicas {
  readonly app: ReturnType<typeof createPublicApp>;
  readonly logs: { msg: string; level: number }[];
  /** The server pid of the delivering process's listening connection, once it listens. */
  listenerPid(): Promise<number | null>;
  close(): Promise<void>;
}

async function startReplicas(): Promise<Replicas> {
  const subscribers = [subscriberConfig(hook.url)];
  // Its application_name finds the listening connection among every test's connections.
  const applicationName = `notify-test-${randomBytes(4).toString('hex')}`;
  const delivering: DatabaseHandle = openDatabase(withParameter(process.env.TEST_DATABASE_URL ?? '', 'application_name', applicationName), {
    schema: database.schema ?? '',
  });
  const storing = database.reopen();
  const logs: { msg: string; level: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string; level: number }) });
  const silent = pino({ level: 'silent' });
  const dispatcher = new DeliveryDispatcher({
    db: delivering.db,
    writes: delivering.writes,
    clock: systemClock,
    logger,
    subscribers,
    workers: 2,
    pollMs: POLL_MS,
    peers: delivering.wakeups ?? undefined,
  });
  const announcer = new DeliveryDispatcher({
    db: storing.db,
    clock: systemClock,
    logger: silent,
    subscribers,
    workers: 0,
    peers: storing.wakeups ?? undefined,
  });
  const config = buildConfig({ subscribers });
  const app = createPublicApp({
    config,
    db: storing.db,
    writes: storing.writes,
    health: storing.health,
    clock: systemClock,
    logger: silent,
    outbox: announcer,
    metrics: new Metrics(storing.db, systemClock),
  });
  const listenerPid = async () => {
    const { rows } = await sql<{ pid: number }>`
      select pid from pg_stat_activity where application_name = ${applicationName} and query ilike 'listen %'`.execute(database.handle.db);
    return rows[0]?.pid ?? null;
  };
  dispatcher.start();
  await waitFor(async () => (await listenerPid()) !== null, 'the delivering process to listen');
  // Its first round (at start) is over: from now on it looks again only when woken or in a minute.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    app,
    logs,
    listenerPid,
    async close() {
      await dispatcher.stop(1_000);
      await Promise.all([delivering.close(), storing.close()]);
    },
  };
}

async function deliveredPromptly(replicas: Replicas, refid: string): Promise<number> {
  const before = hook.received.length;
  const started = Date.now();
  await request(replicas.app).get(`/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=${refid}`).expect(200, 'OK');
  await waitFor(() => hook.received.length > before, `${refid} to be delivered`, PROMPTLY_MS);
  expect(JSON.parse(hook.received[before]?.body ?? '{}')).toMatchObject({ data: { reference: refid } });
  return Date.now() - started;
}

onPostgres('deliveries queued by another process (LISTEN/NOTIFY)', () => {
  it('are delivered at once, not at the next poll', async () => {
    const replicas = await startReplicas();
    try {
      const ms = await deliveredPromptly(replicas, 'NOTIFY-1');

      expect(ms).toBeLessThan(PROMPTLY_MS);
      expect(replicas.logs.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await replicas.close();
    }
  });

  it('are still delivered at once after the listening connection is terminated: it listens again', async () => {
    const replicas = await startReplicas();
    try {
      const first = await replicas.listenerPid();

      await sql`select pg_terminate_backend(${first})`.execute(database.handle.db);
      await waitFor(() => replicas.logs.some((line) => line.msg.startsWith('listening for work announced by other processes again')), 'the listener to be back');
      await deliveredPromptly(replicas, 'NOTIFY-2');

      const second = await replicas.listenerPid();
      expect(second).not.toBeNull();
      expect(second).not.toBe(first);
      const about = replicas.logs.filter((line) => /listen for work|listening for work/.test(line.msg)).map((line) => [line.level, line.msg]);
      expect(about).toEqual([
        [50, 'cannot listen for work announced by other processes; polling until the connection is back'],
        [30, 'listening for work announced by other processes again'],
      ]);
    } finally {
      await replicas.close();
    }
  });

  it('are announced once for a burst of callbacks stored together', async () => {
    // Listening as any other process would, for this schema's announcements.
    const listener = new Client({ connectionString: process.env.TEST_DATABASE_URL ?? '' });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => {
      if (message.payload?.endsWith(` ${database.schema ?? ''}`)) heard.push(message.payload);
    });
    await listener.query('listen receiver_work');
    const channel = database.handle.wakeups;
    try {
      for (let i = 0; i < 50; i++) channel?.announce();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const burst = heard.length;
      channel?.announce();
      await waitFor(() => heard.length > burst, 'a later announcement');

      expect(burst).toBeGreaterThanOrEqual(1);
      expect(burst).toBeLessThanOrEqual(2);
    } finally {
      await listener.end();
    }
  });
});

onSqlite('on SQLite', () => {
  it('has no announcements between processes: one process serves the file', () => {
    expect(database.handle.wakeups).toBeNull();
  });
});
