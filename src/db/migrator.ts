import type { Kysely } from 'kysely';
import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import * as m001 from '../../migrations/001_initial';
import * as m002 from '../../migrations/002_snap';
import * as m003 from '../../migrations/003_deliveries';
import * as m004 from '../../migrations/004_provider_forms';
import * as m005 from '../../migrations/005_readiness_probe';
import * as m006 from '../../migrations/006_delivery_subscriber_due';
import * as m007 from '../../migrations/007_query_indexes';
import * as m008 from '../../migrations/008_watches';
import * as m009 from '../../migrations/009_subscriber_pauses';
import * as m010 from '../../migrations/010_event_repeats';
import type { Db } from './database';
import { isPostgres } from './dialect';

// A static map instead of reading the folder: works the same from ts sources under jest and
// from compiled files under node, and a missing migration is a compile error.
const migrations: Record<string, Migration> = {
  '001_initial': m001,
  '002_snap': m002,
  '003_deliveries': m003,
  '004_provider_forms': m004,
  '005_readiness_probe': m005,
  '006_delivery_subscriber_due': m006,
  '007_query_indexes': m007,
  '008_watches': m008,
  '009_subscriber_pauses': m009,
  '010_event_repeats': m010,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

async function migrator(db: Db): Promise<Migrator> {
  const migrationTableSchema = await postgresSchema(db);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the migrator works on any schema
  return new Migrator({ db: db as Kysely<any>, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
}

/**
 * On PostgreSQL the migrator must be told its schema: it looks for its own tables in every
 * schema it can see, and would take another schema's for ours.
 */
async function postgresSchema(db: Db): Promise<string | undefined> {
  if (!isPostgres(db)) return undefined;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema;
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results } = await (await migrator(db)).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).map((r) => r.migrationName);
}

/** Moves the schema to just after `name`, up or down (operators' rollback, and tests of each step). */
export async function migrateTo(db: Db, name: string): Promise<void> {
  const { error } = await (await migrator(db)).migrateTo(name);
  if (error) throw new Error(`migrating to ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
}

/** True when every known migration has been applied. */
export async function isCurrent(db: Db): Promise<boolean> {
  const known = await (await migrator(db)).getMigrations();
  return known.every((m) => m.executedAt !== undefined);
}
