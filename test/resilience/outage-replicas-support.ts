import { sql } from 'kysely';
import type { Db } from '../../src/db/database';
import { type Receiver, sleep } from './harness';

// Helpers shared by the outage and replicas scenarios.

/**
 * SIGTERM, and SIGKILL when the receiver has not exited within `graceMs`: a child left running
 * would keep jest (and CI) waiting forever, whatever state the test left it in.
 */
export async function stopReceiver(receiver: Receiver | undefined, graceMs = 15_000): Promise<number | null | 'killed'> {
  if (!receiver) return null;
  const { child } = receiver;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const timedOut = Symbol('timed out');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    receiver.kill('SIGTERM'),
    new Promise<typeof timedOut>((resolve) => {
      timer = setTimeout(() => resolve(timedOut), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (code !== timedOut) return code;
  await receiver.kill('SIGKILL');
  return 'killed';
}

/** Whether the child is still running: neither exited nor killed by a signal. */
export function isRunning(receiver: Receiver): boolean {
  return receiver.child.exitCode === null && receiver.child.signalCode === null;
}

/**
 * A PostgreSQL URL whose connections show up in pg_stat_activity under `name`, so a test can
 * find (and terminate) exactly one process's connections.
 */
export function withApplicationName(url: string, name: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}application_name=${encodeURIComponent(name)}`;
}

/** Every reference that has an event, to check acknowledged → stored. */
export async function storedReferences(db: Db): Promise<Set<string>> {
  const rows = await db.selectFrom('events').select('reference').execute();
  return new Set(rows.map((row) => row.reference));
}

export async function countRows(db: Db, table: 'events' | 'deliveries' | 'delivery_attempts'): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
  return Number(rows[0]?.n);
}

/** Runs `step` every `everyMs` until `ms` have passed (the step's own time counts). */
export async function repeatFor(ms: number, everyMs: number, step: () => Promise<void>): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const t0 = Date.now();
    await step();
    await sleep(Math.max(0, everyMs - (Date.now() - t0)));
  }
}

/** Answers counted by HTTP status, for the printed figures. */
export function tally(statuses: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return JSON.stringify(Object.fromEntries([...counts].sort(([a], [b]) => a - b)));
}
