import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { startService } from '../../src/server';
import { BILLER_TOKEN, billerSource, buildConfig } from '../support/config';
import { startChild } from '../support/child';
import { type TestDatabase, createTestDatabase } from '../support/database';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

async function findEvent(reference: string) {
  const other = database.reopen();
  try {
    const event = await other.db.selectFrom('events').selectAll().where('reference', '=', reference).executeTakeFirst();
    const inbound = await other.db.selectFrom('inbound_records').selectAll().where('id', '=', event?.inbound_id ?? '').executeTakeFirst();
    return { event, inbound };
  } finally {
    await other.close();
  }
}

describe('durability of an acknowledged callback', () => {
  it('finds the record from a new connection once 200 has been answered', async () => {
    const config = buildConfig({ databaseUrl: database.url, sources: [billerSource()] });
    const service = await startService(config, pino({ level: 'silent' }));
    try {
      const res = await fetch(`http://127.0.0.1:${service.publicPort}/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=DUR-1`);
      expect([res.status, await res.text()]).toEqual([200, 'OK']);

      const { event, inbound } = await findEvent('DUR-1');
      expect(event).toMatchObject({ status: 'SUCCESS', source_id: 'biller-a' });
      expect(inbound).toMatchObject({ outcome: 'accepted', response_body: 'OK' });
    } finally {
      await service.stop();
    }
  });

  it('keeps the record when the process is killed right after answering', async () => {
    const { child, port } = await startChild(database.url);
    const exited = once(child, 'exit');

    const res = await fetch(`http://127.0.0.1:${port}/callbacks/biller/biller-a/${BILLER_TOKEN}?status=1&refid=DUR-2`);
    const text = await res.text();
    child.kill('SIGKILL');
    await exited;

    expect([res.status, text]).toEqual([200, 'OK']);
    const { event } = await findEvent('DUR-2');
    expect(event).toMatchObject({ status: 'FAILED' });
  });

  it('stops on SIGTERM with exit code 0 and answers readiness while up', async () => {
    const { child, adminPort } = await startChild(database.url);
    const exited = once(child, 'exit');

    const ready = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];

    expect(ready.status).toBe(200);
    expect(code).toBe(0);
  });
});
