import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startChild } from '../support/child';
import { BILLER_TOKEN } from '../support/config';
import { type TestDatabase, createTestDatabase } from '../support/database';

// CONTRACT 6: on SIGTERM the receiver answers in-flight requests, tells keep-alive clients
// `Connection: close`, and exits 0 within the grace period; nothing it stored goes unanswered.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

type Outcome = { refid: string; status: number; connection: string | undefined } | { refid: string; error: string };

function get(agent: Agent, port: number, refid: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({ agent, host: '127.0.0.1', port, path: `/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=${refid}` }, (res) => {
      res.resume();
      res.on('end', () => resolve({ refid, status: res.statusCode ?? 0, connection: res.headers.connection }));
      res.on('error', (error) => resolve({ refid, error: error.message }));
    });
    req.on('error', (error) => resolve({ refid, error: error.message }));
    req.end();
  });
}

describe('SIGTERM under keep-alive load', () => {
  it('answers every request it stored, closes keep-alive connections, and exits 0 without waiting out the grace', async () => {
    const receiver = await startChild(database.url);
    const exited = once(receiver.child, 'exit');
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const outcomes: Outcome[] = [];
    let sent = 0;
    let signalled = false;
    const client = async (n: number) => {
      for (let i = 0; ; i++) {
        const outcome = await get(agent, receiver.port, `KA-${n}-${i}`);
        outcomes.push(outcome);
        sent += 1;
        if (sent >= 400 && !signalled) {
          signalled = true;
          receiver.child.kill('SIGTERM');
        }
        if ('error' in outcome) return;
      }
    };

    await Promise.all(Array.from({ length: 16 }, (_, n) => client(n)));
    const [code] = (await exited) as [number | null];
    agent.destroy();

    const answeredOk = new Set(outcomes.flatMap((o) => ('status' in o && o.status === 200 ? [o.refid] : [])));
    const rows = await database.handle.db.selectFrom('events').select('reference').execute();
    const stored = rows.map((r) => r.reference);
    const storedButUnanswered = stored.filter((refid) => !answeredOk.has(refid));
    const answeredButLost = [...answeredOk].filter((refid) => !stored.includes(refid));
    console.log(
      `shutdown under load: ${outcomes.length} requests, ${answeredOk.size} answered OK, ` +
        `${outcomes.filter((o) => 'status' in o && o.connection === 'close').length} told Connection: close, ` +
        `${outcomes.filter((o) => 'error' in o).length} refused after the stop`,
    );

    expect(code).toBe(0);
    expect(storedButUnanswered).toEqual([]);
    expect(answeredButLost).toEqual([]);
    expect(receiver.output()).not.toContain('did not finish in time');
  }, 30_000);
});
