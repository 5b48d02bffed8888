import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CompiledQuery,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import type { Db } from '../../src/db/database';
import * as deliveryRepository from '../../src/delivery/delivery.repository';
import { type TestDatabase, createTestDatabase, testEngine } from '../support/database';

// The metrics scrape, GET /admin/subscribers and the bulk retry of dead deliveries read pending
// and dead deliveries only: their cost follows the backlog, never the delivered deliveries that
// make up nearly all of the table. Each of their queries must search an index by state (with the
// subscriber or creation time where it has them), never scan the table, and the retry's batches
// must come out of the index in order, never sorted. Plans as in test/query-plans.test.ts: the
// engine's own, for the very queries the repository ran (PostgreSQL with sequential scans, bitmap
// scans and sorts turned off, so it shows the index it would search at size).

const ROWS = 3000;
let database: TestDatabase;

/** Keeps every SELECT run through it. */
class Selects implements KyselyPlugin {
  readonly seen: PluginTransformQueryArgs[] = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind === 'SelectQueryNode') this.seen.push(args);
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

interface Plan {
  readonly text: string;
  readonly seeks: readonly string[];
  readonly scansTable: boolean;
  readonly sorts: boolean;
}

interface PostgresNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly 'Index Cond'?: string;
  readonly Plans?: readonly PostgresNode[];
}

async function planOf(query: CompiledQuery): Promise<Plan> {
  const db = database.handle.db;
  if (testEngine() === 'sqlite') {
    const { rows } = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
    const details = rows.map((row) => row.detail);
    const search = details.map((d) => /^SEARCH \w+ USING (?:COVERING )?INDEX \w+ \((.*)\)/.exec(d)).find((m) => m);
    return {
      text: details.join(' | '),
      seeks: (search?.[1] ?? '').split(' AND ').map((c) => c.replace(/[=<>].*$/, '')),
      scansTable: details.some((d) => /^SCAN \w+/.test(d)),
      sorts: details.some((d) => d.includes('TEMP B-TREE')),
    };
  }
  return db.transaction().execute(async (trx) => {
    for (const setting of ['enable_seqscan', 'enable_bitmapscan', 'enable_sort']) await trx.executeQuery(CompiledQuery.raw(`set local ${setting} = off`));
    const { rows } = await trx.executeQuery<{ 'QUERY PLAN': [{ Plan: PostgresNode }] }>(CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]));
    const nodes: PostgresNode[] = [];
    const walk = (node: PostgresNode) => {
      nodes.push(node);
      for (const child of node.Plans ?? []) walk(child);
    };
    walk((rows[0] as { 'QUERY PLAN': [{ Plan: PostgresNode }] })['QUERY PLAN'][0].Plan);
    const condition = nodes.find((n) => n['Index Cond'] !== undefined)?.['Index Cond'] ?? '';
    return {
      text: nodes.map((n) => [n['Node Type'], n['Index Name'], n['Index Cond']].filter(Boolean).join(' ')).join(' | '),
      seeks: [...condition.matchAll(/\((\w+) [=<>]/g)].map((m) => m[1] as string),
      scansTable: nodes.some((n) => /Seq Scan|Bitmap Heap Scan/.test(n['Node Type'])),
      sorts: nodes.some((n) => n['Node Type'] === 'Sort'),
    };
  });
}

/** Runs `work` as the service would, then answers the plan of each SELECT it ran. */
async function plansOf(work: (db: Db) => Promise<unknown>): Promise<Plan[]> {
  const selects = new Selects();
  const db = database.handle.db;
  await work(db.withPlugin(selects));
  const plans = [];
  for (const args of selects.seen) plans.push(await planOf(db.getExecutor().compileQuery(args.node, args.queryId)));
  return plans;
}

async function seed(): Promise<void> {
  const at = (i: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 60_000).toISOString();
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    id: `dlv_${String(i).padStart(6, '0')}`,
    event_id: `evt_${String(i).padStart(6, '0')}`,
    subscriber_id: i % 3 === 0 ? 'analytics' : 'ledger',
    source_id: 'bank-a',
    reference: `R${i}`,
    event_seq: 1,
    // Nearly all delivered, as a table that has run for a while.
    state: i % 97 === 5 ? 'dead' : i > ROWS - 40 ? 'pending' : 'delivered',
    next_attempt_at: at(i),
    created_at: at(i),
    updated_at: at(i),
  }) as const);
  const events = rows.map((row) => ({
    id: row.event_id,
    created_at: row.created_at,
    source_id: row.source_id,
    channel: 'snap.qr-cpm',
    reference: row.reference,
    status: 'SUCCESS',
    provider_reference: null,
    provider_status: '00',
    amount_value: '10000.00',
    amount_currency: 'IDR',
    occurred_at: null,
    received_at: row.created_at,
    details: '{}',
    inbound_id: null,
    transaction_seq: 1,
  }));
  const db = database.handle.db;
  for (let i = 0; i < ROWS; i += 500) {
    await db.insertInto('events').values(events.slice(i, i + 500)).execute();
    await db.insertInto('deliveries').values(rows.slice(i, i + 500)).execute();
  }
  if (testEngine() === 'postgres') await db.executeQuery(CompiledQuery.raw('analyze'));
}

class Rollback extends Error {}

/** Runs `work` in a transaction that is then rolled back, so the rows stay as seeded. */
async function rolledBack(db: Db, work: (trx: Db) => Promise<unknown>): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      await work(trx);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  await seed();
}, 60_000);
afterAll(async () => {
  await database.close();
});

/** Plans that fall short: a table scan, a search not bounded by every column of `seeks`, or (with `ordered`) a sort. */
function shortfalls(plans: readonly Plan[], seeks: readonly string[], ordered = false): string[] {
  return plans.filter((plan) => plan.scansTable || !seeks.every((c) => plan.seeks.includes(c)) || (ordered && plan.sorts)).map((plan) => plan.text);
}

describe('queries over pending and dead deliveries', () => {
  it('counts deliveries by state from the state index', async () => {
    const plans = await plansOf((db) => deliveryRepository.stateCounts(db));

    expect(plans).toHaveLength(1);
    expect(shortfalls(plans, ['state'])).toEqual([]);
  });

  it('counts each subscriber\'s backlog by state, and finds its oldest pending delivery, without the delivered ones', async () => {
    const plans = await plansOf((db) => deliveryRepository.subscriberBacklogs(db, ['ledger', 'analytics']));

    expect(plans).toHaveLength(2);
    expect(shortfalls(plans, ['state'])).toEqual([]);
  });

  it.each([
    ['every subscriber', { subscribers: ['ledger', 'analytics'] }],
    ['one subscriber', { subscribers: ['ledger'] }],
    ['a time range', { subscribers: ['ledger'], since: '2026-01-01T10:00:00.000Z', until: '2026-01-02T10:00:00.000Z' }],
  ])('counts and retries dead deliveries of %s from the state index, each batch in its order', async (_label, filter) => {
    const counted = await plansOf((db) => deliveryRepository.countDead(db, filter));
    // The first batch and a later one, each rolled back once its SELECT ran.
    const batched = [];
    for (const after of [undefined, { at: '2026-01-01T12:00:00.000Z', id: 'dlv_000720' }]) {
      batched.push(...(await plansOf((db) => rolledBack(db, (trx) => deliveryRepository.retryDeadBatch(trx, filter, after, 50, '2026-02-01T00:00:00.000Z')))));
    }

    expect(shortfalls(counted, ['state'])).toEqual([]);
    expect(batched).toHaveLength(2);
    expect(shortfalls(batched, ['state'], true)).toEqual([]);
  });
});
