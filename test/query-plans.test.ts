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
import type { Db } from '../src/db/database';
import * as deliveryRepository from '../src/delivery/delivery.repository';
import * as eventRepository from '../src/events/event.repository';
import * as inboundRepository from '../src/ingress/inbound.repository';
import { type TestDatabase, createTestDatabase, testEngine } from './support/database';

// The admin lists must cost the same at a million rows as at a thousand: for every filter the
// API accepts, the query must search an index by the filter's columns, from the cursor on, and
// read it in the list's order, never scan the table or sort what it found. A reference, when
// given, is searched alone (a transaction's few events); else source and status together; a
// channel, or a subscriber next to a state, is checked on the rows found (see
// migrations/007_query_indexes.ts). The plan is the engine's own, for the very query the
// repository function ran.
//
// SQLite plans without statistics (the receiver never runs ANALYZE), so its plan here is its
// plan in production, at any size. PostgreSQL plans by statistics, and at a test's size a
// sequential scan, a bitmap scan or a sort is rightly its cheapest plan; with those turned off
// for the session it shows which index it would search, which is what the migration must give it.

const LIMIT = 51;
const CURSOR = { at: '2026-03-15T00:00:00.000Z', id: 'evt_cursor' };
const SINCE = '2026-03-01T00:00:00.000Z';
const UNTIL = '2026-04-01T00:00:00.000Z';
// The values asked for are rare ones, about 1 % of the rows: what an index is for, and where
// walking the time index instead would read the whole table. (SQLite's plan does not depend on
// them; PostgreSQL's does.)
const RARE = { source: 'bank-rare', status: 'REFUNDED', outcome: 'duplicate', state: 'dead', subscriber: 'analytics' } as const;
const SOURCES = ['bank-a', 'bank-a', 'bank-a', 'bank-b', 'bank-b', 'biller-a', 'bank-c', 'biller-b', 'bank-d', 'bank-e'];
const FINAL_STATUSES = ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'FAILED', 'SUCCESS', 'CANCELED', 'SUCCESS'];
const ROWS = 3000;

let database: TestDatabase;
let reference: string;

/** Keeps the first SELECT run through it (a claim then updates what it found), so its plan can be asked for. */
class FirstSelect implements KyselyPlugin {
  args: PluginTransformQueryArgs | undefined;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (!this.args && args.node.kind === 'SelectQueryNode') this.args = args;
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/** What a plan does, in the terms both engines share. */
interface Plan {
  readonly text: string;
  /** The index searched or walked (the first one, the list's own table). */
  readonly index: string | undefined;
  /** Columns the index search is bounded by: `source_id`, `created_at`, `(created_at,id)`, … */
  readonly seeks: readonly string[];
  readonly scansTable: boolean;
  readonly sorts: boolean;
}

function sqlitePlan(details: readonly string[]): Plan {
  const search = details.map((d) => /^(?:SCAN|SEARCH) \w+ USING (?:COVERING )?INDEX (\w+)(?: \((.*)\))?/.exec(d)).find((m) => m);
  return {
    text: details.join(' | '),
    index: search?.[1],
    seeks: (search?.[2] ?? '').split(' AND ').map((c) => c.replace(/[=<>].*$/, '')).filter((c) => c !== ''),
    scansTable: details.some((d) => /^SCAN \w+$/.test(d)),
    sorts: details.some((d) => d.includes('TEMP B-TREE')),
  };
}

interface PostgresNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly 'Index Cond'?: string;
  readonly Plans?: readonly PostgresNode[];
}

function postgresPlan(root: PostgresNode): Plan {
  const nodes: PostgresNode[] = [];
  const walk = (node: PostgresNode) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(root);
  const scan = nodes.find((n) => n['Index Name'] !== undefined);
  const condition = scan?.['Index Cond'] ?? '';
  const seeks = [...condition.matchAll(/ROW\((\w+), (\w+)\)|\((\w+) [=<>]/g)].map((m) => (m[1] ? `(${m[1]},${m[2]})` : (m[3] as string)));
  return {
    text: nodes.map((n) => [n['Node Type'], n['Index Name'], n['Index Cond']].filter(Boolean).join(' ')).join(' | '),
    index: scan?.['Index Name'],
    seeks,
    scansTable: nodes.some((n) => /Seq Scan|Bitmap Heap Scan/.test(n['Node Type'])),
    sorts: nodes.some((n) => n['Node Type'].includes('Sort')),
  };
}

/** Runs `list` as the admin API would, then asks the engine how it ran that query. */
async function planOf(list: (db: Db) => Promise<unknown>): Promise<Plan> {
  const select = new FirstSelect();
  const db = database.handle.db;
  await list(db.withPlugin(select));
  if (!select.args) throw new Error('the function ran no query');
  const query = db.getExecutor().compileQuery(select.args.node, select.args.queryId);
  if (testEngine() === 'sqlite') {
    const { rows } = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
    return sqlitePlan(rows.map((row) => row.detail));
  }
  return db.transaction().execute(async (trx) => {
    for (const setting of ['enable_seqscan', 'enable_bitmapscan', 'enable_sort']) {
      await trx.executeQuery(CompiledQuery.raw(`set local ${setting} = off`));
    }
    const { rows } = await trx.executeQuery<{ 'QUERY PLAN': [{ Plan: PostgresNode }] }>(
      CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]),
    );
    return postgresPlan((rows[0] as { 'QUERY PLAN': [{ Plan: PostgresNode }] })['QUERY PLAN'][0].Plan);
  });
}

interface Expected {
  /** The search must be bounded by every one of these columns. */
  readonly seeks: readonly string[];
  /** Only when no column is searched: the index walked in the list's order. */
  readonly walks?: string;
}

/** Every plan that falls short, with the filter that made it: `[]` when all are good. */
async function shortfalls(cases: readonly { label: string; list: (db: Db) => Promise<unknown>; expected: Expected }[]): Promise<string[]> {
  const found: string[] = [];
  for (const { label, list, expected } of cases) {
    const plan = await planOf(list);
    const searched = expected.seeks.every((column) => plan.seeks.includes(column));
    const walked = expected.walks === undefined || plan.index === expected.walks;
    if (plan.scansTable || plan.sorts || !searched || !walked) found.push(`${label}: ${plan.text}`);
  }
  return found;
}

/** Every subset of `keys`, the empty one first. */
function combinations<K extends string>(keys: readonly K[]): K[][] {
  return Array.from({ length: 1 << keys.length }, (_, mask) => keys.filter((_key, i) => mask & (1 << i)));
}

/** The bounds a time-ordered list must be searched by: the cursor replaces the bound on its own end. */
function timeSeeks(at: string, keys: readonly string[], cursor: boolean, newest: boolean): string[] {
  const seeks = cursor ? [`(${at},id)`] : [];
  if ((keys.includes('since') && (newest || !cursor)) || (keys.includes('until') && (!newest || !cursor))) seeks.push(at);
  return seeks;
}

async function seed(): Promise<void> {
  const db = database.handle.db;
  const at = (i: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 3_600_000).toISOString();
  const id = (prefix: string, i: number) => `${prefix}_${String(i).padStart(6, '0')}`;
  const events = Array.from({ length: ROWS }, (_, i) => {
    const source = i % 100 === 42 ? RARE.source : (SOURCES[i % SOURCES.length] as string);
    // A third of the transactions report PENDING first and their final status ten events later.
    const opens = i % 20 < 10 && i % 3 === 0;
    const closes = i % 20 >= 10 && (i - 10) % 3 === 0;
    return {
      id: id('evt', i),
      created_at: at(i),
      source_id: source,
      channel: source.startsWith('biller') ? 'biller' : i % 7 === 0 ? 'snap.bulk-cashin' : 'snap.qr-cpm',
      reference: `${source}-${closes ? i - 10 : i}`,
      status: opens ? 'PENDING' : i % 97 === 5 ? RARE.status : (FINAL_STATUSES[i % FINAL_STATUSES.length] as string),
      provider_reference: null,
      provider_status: '00',
      amount_value: '10000.00',
      amount_currency: 'IDR',
      occurred_at: null,
      received_at: at(i),
      details: '{}',
      inbound_id: null,
      transaction_seq: 1,
    };
  });
  const inbound = Array.from({ length: ROWS }, (_, i) => ({
    id: id('inb', i),
    request_id: 'r',
    received_at: at(i),
    source_id: i % 100 === 42 ? RARE.source : (SOURCES[i % SOURCES.length] as string),
    channel: 'snap.qr-cpm',
    client_ip: '127.0.0.1',
    method: 'POST',
    url: '/v1.0/qr/qr-cpm-notify',
    headers: '{}',
    body: null,
    outcome: i % 97 === 3 ? RARE.outcome : i % 13 === 0 ? 'rejected' : 'accepted',
    reason: null,
    response_status: 200,
    response_body: '{}',
    signature_form: null,
    signature_path: null,
  }) as const);
  const deliveries = events.map((event, i) => ({
    id: id('dlv', i),
    event_id: event.id,
    subscriber_id: i % 50 === 7 ? RARE.subscriber : 'ledger',
    source_id: event.source_id,
    reference: event.reference,
    event_seq: 1,
    state: i % 89 === 11 ? RARE.state : i > ROWS - 150 ? 'pending' : 'delivered',
    next_attempt_at: event.created_at,
    created_at: event.created_at,
    updated_at: event.created_at,
  }) as const);
  for (let i = 0; i < ROWS; i += 500) {
    await db.insertInto('inbound_records').values(inbound.slice(i, i + 500)).execute();
    await db.insertInto('events').values(events.slice(i, i + 500)).execute();
    await db.insertInto('deliveries').values(deliveries.slice(i, i + 500)).execute();
  }
  reference = (events[1234] as { reference: string }).reference;
  // PostgreSQL's choice between indexes follows its statistics; SQLite is left without any, as
  // the receiver leaves it.
  if (testEngine() === 'postgres') await db.executeQuery(CompiledQuery.raw('analyze'));
}

beforeAll(async () => {
  database = await createTestDatabase();
  await seed();
}, 60_000);
afterAll(async () => {
  await database.close();
});

describe('admin list queries', () => {
  it('GET /admin/events searches by reference, else by source and status, for every filter, order and cursor', async () => {
    const cases = combinations(['source', 'channel', 'reference', 'status', 'since', 'until'] as const).flatMap((keys) =>
      (['newest', 'oldest'] as const).flatMap((order) =>
        [false, true].map((cursor) => {
          const filter = {
            source: keys.includes('source') ? RARE.source : undefined,
            channel: keys.includes('channel') ? 'snap.qr-cpm' : undefined,
            reference: keys.includes('reference') ? reference : undefined,
            status: keys.includes('status') ? RARE.status : undefined,
            since: keys.includes('since') ? SINCE : undefined,
            until: keys.includes('until') ? UNTIL : undefined,
          };
          // A reference is a few events: nothing else needs searching. A channel is a large
          // share of the events and is checked on the rows found.
          const equal = filter.reference !== undefined ? ['reference'] : [filter.source && 'source_id', filter.status && 'status'].filter((c) => c !== undefined);
          const seeks = [...equal, ...timeSeeks('created_at', keys, cursor, order === 'newest')];
          return {
            label: `${keys.join('+') || 'no filter'}, ${order} first${cursor ? ', after a cursor' : ''}`,
            list: (db: Db) => eventRepository.listEvents(db, filter, LIMIT, cursor ? CURSOR : undefined, order),
            expected: { seeks, ...(equal.length === 0 ? { walks: 'events_created_at' } : {}) },
          };
        }),
      ),
    );

    expect(await shortfalls(cases)).toEqual([]);
  }, 60_000);

  it('GET /admin/inbound searches by source and outcome, for every filter and cursor', async () => {
    const cases = combinations(['source', 'outcome', 'since', 'until'] as const).flatMap((keys) =>
      [false, true].map((cursor) => {
        const filter = {
          source: keys.includes('source') ? RARE.source : undefined,
          outcome: keys.includes('outcome') ? RARE.outcome : undefined,
          since: keys.includes('since') ? SINCE : undefined,
          until: keys.includes('until') ? UNTIL : undefined,
        };
        const equal = [filter.source && 'source_id', filter.outcome && 'outcome'].filter((c) => c !== undefined);
        return {
          label: `${keys.join('+') || 'no filter'}${cursor ? ', after a cursor' : ''}`,
          list: (db: Db) => inboundRepository.listInbound(db, filter, LIMIT, cursor ? CURSOR : undefined),
          expected: {
            seeks: [...equal, ...timeSeeks('received_at', keys, cursor, true)],
            ...(equal.length === 0 ? { walks: 'inbound_records_received_at' } : {}),
          },
        };
      }),
    );

    expect(await shortfalls(cases)).toEqual([]);
  }, 60_000);

  it('GET /admin/deliveries searches by state, else by subscriber, with and without a cursor', async () => {
    const cases = combinations(['state', 'subscriber'] as const).flatMap((keys) =>
      [false, true].map((cursor) => {
        const filter = {
          state: keys.includes('state') ? RARE.state : undefined,
          subscriber: keys.includes('subscriber') ? RARE.subscriber : undefined,
        };
        const equal = filter.state !== undefined ? ['state'] : filter.subscriber !== undefined ? ['subscriber_id'] : [];
        return {
          label: `${keys.join('+') || 'no filter'}${cursor ? ', after a cursor' : ''}`,
          list: (db: Db) => deliveryRepository.listDeliveries(db, filter, LIMIT, cursor ? CURSOR : undefined),
          expected: { seeks: [...equal, ...(cursor ? ['(created_at,id)'] : [])], ...(equal.length === 0 ? { walks: 'deliveries_created_at' } : {}) },
        };
      }),
    );

    expect(await shortfalls(cases)).toEqual([]);
  }, 60_000);
});

describe('the outbox claim', () => {
  // A backlog that falls due at one instant (a subscriber back after an outage) must be read in
  // (due time, id) order from the index, not sorted whole on every claim.
  it('reads due deliveries in order from an index, for one subscriber and for unknown ones', async () => {
    const now = '2026-12-01T00:00:00.000Z';
    const cases = [
      {
        label: 'claimDue',
        list: (db: Db) =>
          db.transaction().execute((trx) => deliveryRepository.claimDue(trx, 'plans', now, now, [{ subscriberId: RARE.subscriber, room: 4 }], (found) => found)),
        expected: { seeks: ['subscriber_id', 'state', 'next_attempt_at'] },
      },
      {
        label: 'claimUnknownSubscribers',
        list: (db: Db) => db.transaction().execute((trx) => deliveryRepository.claimUnknownSubscribers(trx, 'plans', now, now, ['ledger'], 4)),
        expected: { seeks: ['state', 'next_attempt_at'] },
      },
    ];

    expect(await shortfalls(cases)).toEqual([]);
  });
});
