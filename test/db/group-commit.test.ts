import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type Kysely, sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/connect';
import type { Trx } from '../../src/db/database';
import { type TestDatabase, createTestDatabase } from '../support/database';

// The committer's own tables: units of work here write to them rather than to the service's.
interface Scratch {
  gc_parents: { id: string };
  gc_items: { id: string; parent: string | null };
}

let database: TestDatabase;
let other: DatabaseHandle;

beforeAll(async () => {
  database = await createTestDatabase();
  other = database.reopen();
  const db = scratch(database.handle.db);
  await db.schema.createTable('gc_parents').addColumn('id', 'text', (c) => c.primaryKey()).execute();
  // Checked at COMMIT, not at the INSERT: a unit can write something only the COMMIT refuses.
  await sql`create table gc_items (id text primary key, parent text references gc_parents (id) deferrable initially deferred)`.execute(db);
});

afterAll(async () => {
  await other.close();
  await database.close();
});

beforeEach(async () => {
  await scratch(database.handle.db).deleteFrom('gc_items').execute();
});

function scratch(db: unknown): Kysely<Scratch> {
  return db as Kysely<Scratch>;
}

const insertItem = (id: string, parent: string | null = null) => async (trx: Trx) => {
  await scratch(trx).insertInto('gc_items').values({ id, parent }).execute();
  return id;
};

async function itemsSeenByAnotherConnection(): Promise<string[]> {
  const rows = await scratch(other.db).selectFrom('gc_items').select('id').orderBy('id').execute();
  return rows.map((row) => row.id);
}

/** Runs the units the way concurrent requests do: all queued before the first transaction starts. */
function runTogether<T>(units: ((trx: Trx) => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(units.map((unit) => database.handle.writes.run(unit)));
}

describe('the group committer', () => {
  it('runs units that arrive together in one transaction', async () => {
    const seenBySecond: string[][] = [];
    const results = await runTogether([
      insertItem('a'),
      async (trx) => {
        // The first unit's row is not committed yet, but this unit is in the same transaction.
        const rows = await scratch(trx).selectFrom('gc_items').select('id').execute();
        seenBySecond.push(rows.map((row) => row.id));
        return 'b';
      },
    ]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(seenBySecond).toEqual([['a']]);
  });

  it('resolves a unit only once its writes are committed, and not before', async () => {
    let seenBeforeCommit: string[] | null = null;
    const written = database.handle.writes.run(async (trx) => {
      await insertItem('a')(trx);
      seenBeforeCommit = await itemsSeenByAnotherConnection();
    });

    await written;

    expect(seenBeforeCommit).toEqual([]);
    expect(await itemsSeenByAnotherConnection()).toEqual(['a']);
  });

  it('undoes a unit that throws, alone: the units around it still commit', async () => {
    const results = await runTogether([
      insertItem('a'),
      async (trx) => {
        await insertItem('b')(trx);
        throw new Error('this request was refused after it wrote');
      },
      insertItem('c'),
    ]);

    expect(results[0]).toEqual({ status: 'fulfilled', value: 'a' });
    expect(results[1]).toEqual({ status: 'rejected', reason: new Error('this request was refused after it wrote') });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'c' });
    expect(await itemsSeenByAnotherConnection()).toEqual(['a', 'c']);
  });

  it('undoes a unit whose statement the database refused, and commits the others', async () => {
    await database.handle.writes.run(insertItem('taken'));

    const results = await runTogether([insertItem('a'), insertItem('taken'), insertItem('c')]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await itemsSeenByAnotherConnection()).toEqual(['a', 'c', 'taken']);
  });

  it('answers the COMMIT error to every unit in a transaction whose COMMIT fails', async () => {
    const refused = async (trx: Trx) => {
      await insertItem('b', 'no such parent')(trx);
      throw new Error('its own error');
    };
    const results = await runTogether([insertItem('a'), insertItem('orphan', 'no such parent'), refused, insertItem('c')]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    // The unit that failed by itself hears the COMMIT's error too: what it decided may rest on the others' writes.
    const reasons = results.map((r) => (r.status === 'rejected' ? String((r.reason as Error).message) : ''));
    expect(new Set(reasons).size).toBe(1);
    expect(reasons[0]).not.toBe('its own error');
    expect(await itemsSeenByAnotherConnection()).toEqual([]);
  });

  it('commits the next units normally after a failed COMMIT', async () => {
    await runTogether([insertItem('orphan', 'no such parent')]);

    const results = await runTogether([insertItem('a')]);

    expect(results).toEqual([{ status: 'fulfilled', value: 'a' }]);
    expect(await itemsSeenByAnotherConnection()).toEqual(['a']);
  });

  it('runs a unit again when it lost a race to another transaction (serialization failure)', async () => {
    let runs = 0;
    const results = await runTogether([
      insertItem('a'),
      async (trx) => {
        runs += 1;
        await insertItem('b')(trx);
        if (runs === 1) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
        return 'b';
      },
    ]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(runs).toBe(2);
    expect(await itemsSeenByAnotherConnection()).toEqual(['a', 'b']);
  });

  it('gives up on a unit that keeps losing races, and says why', async () => {
    const results = await runTogether([
      async () => {
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      },
    ]);

    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: '40P01' } });
  });

  it('keeps many concurrent units apart and commits each exactly once', async () => {
    const ids = Array.from({ length: 300 }, (_, n) => `item-${String(n).padStart(3, '0')}`);

    const results = await runTogether(ids.map((id) => insertItem(id)));

    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const count = await sql<{ n: number | string }>`select count(*) as n from gc_items`.execute(other.db);
    expect(Number(count.rows[0]?.n)).toBe(300);
  });
});
