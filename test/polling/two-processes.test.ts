import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { type ChildReceiver, startChild } from '../support/child';
import { ADMIN_TOKEN } from '../support/config';
import { type TestDatabase, createTestDatabase, testEngine } from '../support/database';
import { FAKE_PASSWORD, FAKE_USERNAME, type FakeMmbc, NO_DATA, reloadStatus, startFakeMmbc } from '../support/fake-mmbc';

// CONTRACT 7: with several processes on one PostgreSQL database, each poll is made by exactly
// one of them. Two real receivers poll the same watches of a real (fake) MMBC over HTTP.

const WATCHES = 30;
const describePostgres = testEngine() === 'postgres' ? describe : describe.skip;

let database: TestDatabase;
let fake: FakeMmbc;
const children: ChildReceiver[] = [];

beforeAll(async () => {
  if (testEngine() !== 'postgres') return;
  database = await createTestDatabase();
  fake = await startFakeMmbc();
});
afterAll(async () => {
  for (const { child } of children) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
  await fake?.close();
  await database?.close();
});

describePostgres('two receivers polling one database', () => {
  it('poll each watch once per step: every invoice is asked exactly as often as its script needs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'receiver-poll-'));
    const configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        sources: [
          {
            id: 'mmbc-reload',
            type: 'mmbc-multipayment',
            baseUrl: fake.baseUrl,
            username: FAKE_USERNAME,
            password: { env: 'MMBC_PASSWORD' },
            pollSchedule: [1],
            deadlineSeconds: 600,
            timeoutSeconds: 5,
            maxConcurrentPolls: 3,
          },
        ],
      }),
    );
    const env = { CONFIG_FILE: configFile, MMBC_PASSWORD: FAKE_PASSWORD, ADMIN_TOKEN, LOG_LEVEL: 'info', DELIVERY_WORKERS: '0' };
    children.push(await startChild(database.url, env), await startChild(database.url, env));

    for (let i = 0; i < WATCHES; i++) {
      const invoice = `INV-2P-${i}`;
      // Two answers that keep the watch going, then the final one; slow enough that polls overlap.
      fake.script(invoice, [{ ...NO_DATA, delayMs: 60 }, { ...NO_DATA, delayMs: 60 }, { ...reloadStatus(invoice), delayMs: 60 }]);
      const admin = children[i % 2]?.adminPort;
      const response = await fetch(`http://127.0.0.1:${admin}/admin/watches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'mmbc-reload', invoice }),
      });
      expect(response.status).toBe(201);
    }

    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await sql<{ n: string | number }>`select count(*) as n from watches where state = 'done'`.execute(database.handle.db);
      if (Number(rows[0]?.n) === WATCHES) break;
      if (Date.now() > deadline) throw new Error(`only ${String(rows[0]?.n)} of ${WATCHES} watches done`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    for (let i = 0; i < WATCHES; i++) expect(fake.requestsFor(`INV-2P-${i}`)).toHaveLength(3);
    const polls = await sql<{ watch_id: string; poll: number }>`select watch_id, poll from watch_polls`.execute(database.handle.db);
    expect(polls.rows).toHaveLength(WATCHES * 3);
    expect(new Set(polls.rows.map((p) => `${p.watch_id}:${p.poll}`)).size).toBe(WATCHES * 3);
    const events = await sql<{ n: string | number }>`select count(*) as n from events where status = 'SUCCESS'`.execute(database.handle.db);
    expect(Number(events.rows[0]?.n)).toBe(WATCHES);
    // Both took part (each logs its polls); neither wrote the password anywhere.
    const pollsBy = children.map((c) => c.output().split('\n').filter((line) => line.includes('"watch polled"')).length);
    expect(pollsBy.every((n) => n > 0)).toBe(true);
    expect(pollsBy.reduce((a, b) => a + b, 0)).toBe(WATCHES * 3);
    for (const c of children) expect(c.output()).not.toContain(FAKE_PASSWORD);
  }, 90_000);
});
