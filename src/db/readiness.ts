import { type Clock, newId } from '../clock';
import type { Db } from './database';
import type { DatabaseHealth } from './health';
import { isCurrent } from './migrator';

export interface ReadinessProbeTable {
  id: string;
  checked_at: string;
  filler: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: {
    readonly database: 'ok' | 'unreachable';
    readonly migrations: 'current' | 'pending' | 'unknown';
    readonly writes: 'ok' | 'failing';
  };
}

const PROBE_INTERVAL_MS = 1000;
/** Less free space than this on the database's filesystem counts as full. */
export const MIN_FREE_BYTES = 1024 * 1024;
const PROBE_FILLER = 'x'.repeat(8192);

/**
 * CONTRACT 6 `/readyz`: the database answers, migrations are current, and the last write did not
 * fail. After a failed write a small probe write (at most once a second) finds out when writes go
 * through again, so readiness comes back by itself even when no traffic arrives to prove it.
 * `freeBytes` (SQLite) tells the room left on the database's filesystem: a commit that failed on
 * a full disk leaves log space that a small probe can reuse, so the probe only runs once there is
 * real room again.
 */
export function readinessCheck(
  db: Db,
  health: DatabaseHealth,
  clock: Clock,
  freeBytes: () => Promise<number | null> = () => Promise.resolve(null),
): () => Promise<Readiness> {
  let lastProbe = 0;
  return async () => {
    let current: boolean;
    try {
      current = await isCurrent(db);
    } catch (error) {
      health.failed(error);
      return { ready: false, checks: { database: 'unreachable', migrations: 'unknown', writes: health.writable ? 'ok' : 'failing' } };
    }
    const now = clock.now().getTime();
    if (!health.writable && current && now - lastProbe >= PROBE_INTERVAL_MS && (await hasRoom(freeBytes))) {
      lastProbe = now;
      // As large as a callback's records, so it needs new pages (and log space) as they would; a
      // rewrite of one tiny row could pass on a full disk. Its commit clears the failure.
      const id = newId('rdy', clock);
      await db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('readiness_probe').values({ id, checked_at: clock.now().toISOString(), filler: PROBE_FILLER }).execute();
          await trx.deleteFrom('readiness_probe').where('id', '=', id).execute();
        })
        .then(
          () => health.wrote(),
          () => undefined,
        );
    }
    const writes = health.writable ? 'ok' : 'failing';
    // The database's own words stay in the log: they can name hosts and users.
    return { ready: current && health.writable, checks: { database: 'ok', migrations: current ? 'current' : 'pending', writes } };
  };
}

async function hasRoom(freeBytes: () => Promise<number | null>): Promise<boolean> {
  const free = await freeBytes().catch(() => null);
  return free === null || free >= MIN_FREE_BYTES;
}
