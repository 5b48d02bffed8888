import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { type TestDatabase, createTestDatabase, testEngine } from '../support/database';
import { buildQrCpmNotify, providerSigner, snapTimestamp } from '../support/snap';
import {
  CLIENT_SECRET,
  QR_PATH,
  SYMMETRIC_PARTNER_ID,
  type Receiver,
  billerPath,
  keepAlive,
  percentile,
  report,
  runLoad,
  send,
  startReceiver,
  writeConfig,
} from './harness';

// A month-end flood: 20,000 requests at 64 connections, 30 % of them repeats of what was already
// sent, and some X-EXTERNAL-ID reused with another body. Every repeat is answered like the first,
// every conflict 409, nothing 5xx, and the events are exactly the distinct reports.

const REQUESTS = Number(process.env.BURST_REQUESTS ?? 20_000);
const CONCURRENCY = 64;

let database: TestDatabase;
let receiver: Receiver;

beforeAll(async () => {
  database = await createTestDatabase();
  receiver = await startReceiver({ databaseUrl: database.url, configFile: writeConfig(), env: { DELIVERY_WORKERS: '0', LOG_LEVEL: 'warn' } });
});
afterAll(async () => {
  await receiver.kill('SIGTERM');
  await database.close();
});

/** Deterministic choices, so a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

async function accessToken(agent: ReturnType<typeof keepAlive>): Promise<string> {
  const timestamp = snapTimestamp(new Date());
  const res = await send(agent, receiver.port, {
    method: 'POST',
    path: '/v1.0/access-token/b2b',
    headers: {
      'Content-Type': 'application/json',
      'X-CLIENT-KEY': SYMMETRIC_PARTNER_ID,
      'X-TIMESTAMP': timestamp,
      'X-SIGNATURE': providerSigner.accessToken(SYMMETRIC_PARTNER_ID, timestamp),
    },
    body: '{"grantType":"client_credentials"}',
  });
  return (JSON.parse(res.body) as { accessToken: string }).accessToken;
}

describe(`burst of ${REQUESTS} requests (${testEngine()})`, () => {
  it('answers every repeat like the first and every conflict 409, never 5xx, with exactly one event per distinct report', async () => {
    const agent = keepAlive(CONCURRENCY);
    const token = await accessToken(agent);
    const pick = random(20261123);
    const billerRefids: string[] = [];
    const snapSent: { externalId: string; body: string }[] = [];
    const expectedEvents = new Set<string>();
    const statuses = new Map<number, number>();
    const wrong: string[] = [];
    const latencies: number[] = [];
    let repeats = 0;
    let conflicts = 0;

    const snapRequest = (externalId: string, body: string) => {
      const timestamp = snapTimestamp(new Date());
      return {
        method: 'POST',
        path: QR_PATH,
        body,
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
          'X-TIMESTAMP': timestamp,
          'X-SIGNATURE': providerSigner.symmetric(QR_PATH, token, body, timestamp, CLIENT_SECRET),
          'X-PARTNER-ID': SYMMETRIC_PARTNER_ID,
          'X-EXTERNAL-ID': externalId,
          'CHANNEL-ID': '95221',
        },
      };
    };

    const started = performance.now();
    await runLoad(REQUESTS, CONCURRENCY, async (i) => {
      const roll = pick();
      const repeat = pick() < 0.3;
      let expected: number;
      let req: Parameters<typeof send>[2];
      // Repeats and conflicts pick only notifies already answered, so which one came first is known.
      let answered: { externalId: string; body: string } | null = null;
      if (roll < 0.6) {
        const refid = repeat && billerRefids.length > 0 ? (billerRefids[Math.floor(pick() * billerRefids.length)] as string) : `BURST-B-${i}`;
        if (refid === `BURST-B-${i}`) billerRefids.push(refid);
        else repeats += 1;
        expectedEvents.add(`biller:${refid}`);
        req = { path: billerPath(refid) };
        expected = 200;
      } else if (roll < 0.98 || snapSent.length === 0) {
        if (repeat && snapSent.length > 0) {
          const earlier = snapSent[Math.floor(pick() * snapSent.length)] as { externalId: string; body: string };
          req = snapRequest(earlier.externalId, earlier.body);
          repeats += 1;
        } else {
          const body = JSON.stringify(buildQrCpmNotify({ originalPartnerReferenceNo: `BURST-S-${i}` }));
          answered = { externalId: `BURST-X-${i}`, body };
          expectedEvents.add(`snap:BURST-S-${i}`);
          req = snapRequest(`BURST-X-${i}`, body);
        }
        expected = 200;
      } else {
        // The same X-EXTERNAL-ID as an earlier notify, with another body.
        const earlier = snapSent[Math.floor(pick() * snapSent.length)] as { externalId: string; body: string };
        req = snapRequest(earlier.externalId, JSON.stringify(buildQrCpmNotify({ originalPartnerReferenceNo: `BURST-C-${i}` })));
        conflicts += 1;
        expected = 409;
      }
      const t0 = performance.now();
      const answer = await send(agent, receiver.port, req);
      latencies.push(performance.now() - t0);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answered && answer.status === 200) snapSent.push(answered);
      if (answer.status !== expected && wrong.length < 10) wrong.push(`${req.path} → ${answer.status} ${answer.body.slice(0, 200)} (expected ${expected})`);
    });
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();

    const { rows } = await sql<{ n: number | string }>`select count(*) as n from events`.execute(database.handle.db);
    const events = Number(rows[0]?.n);
    report(`burst ${testEngine()}`, {
      requests: REQUESTS,
      seconds,
      requestsPerSecond: REQUESTS / seconds,
      p50ms: percentile(latencies, 50),
      p99ms: percentile(latencies, 99),
      repeats,
      conflicts,
      statuses: JSON.stringify(Object.fromEntries(statuses)),
      expectedEvents: expectedEvents.size,
      events,
    });

    expect(wrong).toEqual([]);
    expect([...statuses.keys()].filter((s) => s === 0 || s >= 500)).toEqual([]);
    expect(events).toBe(expectedEvents.size);
  });
});
