import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect';
import { type TestDatabase, createTestDatabase, testEngine } from '../support/database';
import { type Receiver, billerPath, keepAlive, readyz, report, runLoad, send, sleep, startReceiver, waitFor, writeConfig } from './harness';
import { isRunning, repeatFor, stopReceiver, storedReferences, tally, withApplicationName } from './outage-replicas-support';

// CONTRACT 6: the process survives the database going away (connections killed, disk full):
// requests get errors and never a success that was not stored, /readyz says 503, and it recovers
// by itself when the database is back.

const LANES = 8;
const OUTAGE_MS = 2000;
// Generous: recovery needs only one successful write after the last kill.
const RECOVERY_BOUND_MS = 15_000;

const onPostgres = testEngine() === 'postgres' ? describe : describe.skip;
const onSqlite = testEngine() === 'sqlite' ? describe : describe.skip;

interface Answered {
  readonly refid: string;
  readonly status: number;
}

/** Times in ms since the load began. */
interface Sent extends Answered {
  readonly startedAt: number;
  readonly answeredAt: number;
}

const isError = (status: number) => status >= 500 && status <= 599;

onPostgres('PostgreSQL connections killed under load', () => {
  const applicationName = `outage-${randomBytes(4).toString('hex')}`;
  let database: TestDatabase | undefined;
  let receiver: Receiver | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = await startReceiver({
      databaseUrl: withApplicationName(database.url, applicationName),
      configFile: writeConfig(),
      env: { DELIVERY_WORKERS: '0', LOG_LEVEL: 'warn' },
    });
  });
  afterAll(async () => {
    await stopReceiver(receiver);
    await database?.close();
  });

  it('answers errors and never an unstored success while its connections are killed, says 503 on /readyz, and recovers by itself', async () => {
    const db = (database as TestDatabase).handle.db;
    const running = receiver as Receiver;
    const agent = keepAlive(LANES);
    // Its own agent: a probe must not wait behind the load for a socket.
    const probeAgent = keepAlive(1);
    const sent: Sent[] = [];
    let stopLoad = false;
    const t0 = performance.now();
    const load = runLoad(
      Number.MAX_SAFE_INTEGER,
      LANES,
      async (i) => {
        const refid = `OUTAGE-PG-${i}`;
        const startedAt = performance.now() - t0;
        const answer = await send(agent, running.port, { path: billerPath(refid) });
        sent.push({ refid, startedAt, answeredAt: performance.now() - t0, status: answer.status });
      },
      // A dead receiver answers at once with refused connections: stop rather than spin.
      () => stopLoad || !isRunning(running),
    );

    let outageStart = 0;
    let outageEnd = Number.POSITIVE_INFINITY;
    let recoveredAt: number | null = null;
    let terminated = 0;
    const probes: { at: number; status: number }[] = [];
    try {
      await sleep(1000);
      outageStart = performance.now() - t0;
      // Polls from the first kill until /readyz is back after the last one (bounded).
      const prober = (async () => {
        const deadline = outageStart + OUTAGE_MS + RECOVERY_BOUND_MS;
        while (recoveredAt === null && performance.now() - t0 < deadline) {
          const at = performance.now() - t0;
          const status = await readyz(probeAgent, running.adminPort);
          probes.push({ at, status });
          if (status === 200 && at > outageEnd) recoveredAt = performance.now() - t0;
          else await sleep(50);
        }
      })();
      try {
        await repeatFor(OUTAGE_MS, 100, async () => {
          // The call sits in the select list, so it runs only for the rows the filter kept
          // (in WHERE, PostgreSQL may evaluate it first, for every backend on the server).
          const { rows } = await sql<{ killed: boolean }>`
            select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = ${applicationName}`.execute(db);
          terminated += rows.filter((row) => row.killed).length;
        });
      } finally {
        outageEnd = performance.now() - t0;
        await prober;
      }
      // Load goes on for a while after the recovery, to show it is real.
      if (recoveredAt !== null) await sleep(1000);
    } finally {
      // Even when a step throws, the lanes must not go on loading a receiver forever.
      stopLoad = true;
      await load;
    }
    const afterwards = await Promise.all(Array.from({ length: 100 }, (_, i) => send(agent, running.port, { path: billerPath(`OUTAGE-PG-AFTER-${i}`) })));
    agent.destroy();
    probeAgent.destroy();

    const stored = await storedReferences(db);
    const recovered = recoveredAt ?? Number.POSITIVE_INFINITY;
    const before = sent.filter((s) => s.answeredAt < outageStart);
    const during = sent.filter((s) => s.startedAt >= outageStart && s.startedAt < recovered);
    const after = sent.filter((s) => s.startedAt >= recovered);
    const acknowledged = sent.filter((s) => s.status === 200);
    const lost = acknowledged.filter((s) => !stored.has(s.refid)).map((s) => s.refid);
    const unready = probes.filter((p) => p.status === 503).length;
    report('outage postgres', {
      requests: sent.length,
      acknowledged: acknowledged.length,
      errors: sent.filter((s) => isError(s.status)).length,
      statuses: tally(sent.map((s) => s.status)),
      during: during.length,
      duringStatuses: tally(during.map((s) => s.status)),
      backendsTerminated: terminated,
      readyz503Seen: unready,
      readyzPolls: probes.length,
      secondsToRecover: recoveredAt === null ? 'never' : (recoveredAt - outageEnd) / 1000,
      afterwardsStatuses: tally(afterwards.map((a) => a.status)),
      lost: lost.length,
    });

    expect(isRunning(running)).toBe(true);
    expect(terminated).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    // An answer is either a success that was stored or a 5xx: no 4xx, no dropped connection.
    expect(sent.filter((s) => s.status !== 200 && !isError(s.status)).map((s) => `${s.refid} → ${s.status}`)).toEqual([]);
    expect(before.filter((s) => s.status !== 200)).toEqual([]);
    expect(unready).toBeGreaterThan(0);
    expect(recoveredAt).not.toBeNull();
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((s) => s.status !== 200)).toEqual([]);
    expect(afterwards.map((a) => a.status)).toEqual(afterwards.map(() => 200));
    expect(afterwards.every((_, i) => stored.has(`OUTAGE-PG-AFTER-${i}`))).toBe(true);
  });
});

const TMPFS_SIZE = '4m';
// Room left beside the filler: a few callbacks' worth of WAL frames, so some are stored first.
const LEFT_BYTES = 256 * 1024;

onSqlite('SQLite on a full disk', () => {
  let mountDir = '';
  let skipped: string | null = null;
  let mounted = false;
  let receiver: Receiver | undefined;
  let handle: DatabaseHandle | undefined;

  beforeAll(() => {
    mountDir = mkdtempSync(join(tmpdir(), 'receiver-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', mountDir], { stdio: 'pipe', timeout: 10_000 });
      mounted = true;
    } catch (error) {
      const { stderr, message } = error as { stderr?: Buffer; message?: string };
      skipped = `mount -t tmpfs failed: ${(stderr?.toString() || message || String(error)).trim()}`;
    }
  });
  afterAll(async () => {
    await stopReceiver(receiver);
    await handle?.close();
    if (mounted) {
      try {
        execFileSync('umount', [mountDir], { stdio: 'pipe', timeout: 10_000 });
      } catch {
        // Something still holds a file there; detach it anyway rather than leave a mount behind.
        execFileSync('umount', ['-l', mountDir], { stdio: 'pipe', timeout: 10_000 });
      }
    }
    if (mountDir) rmSync(mountDir, { recursive: true, force: true });
  });

  it('answers errors and never an unstored success while the disk is full, says 503 on /readyz, and recovers when space comes back', async () => {
    if (skipped !== null) {
      report('outage sqlite', { skipped });
      return;
    }
    const url = `sqlite:${join(mountDir, 'receiver.db')}`;
    const filler = join(mountDir, 'filler');
    // The receiver migrates the new file itself.
    const running = await startReceiver({ databaseUrl: url, configFile: writeConfig(), env: { DELIVERY_WORKERS: '0', LOG_LEVEL: 'warn' } });
    receiver = running;
    const agent = keepAlive(LANES);
    const sent: Answered[] = [];
    // Large enough that each callback needs fresh pages of WAL.
    const callback = async (refid: string) => {
      const answer = await send(agent, running.port, { path: `${billerPath(refid)}&message=${'x'.repeat(1500)}` });
      sent.push({ refid, status: answer.status });
      return answer.status;
    };

    await runLoad(20, LANES, (i) => callback(`FULL-WARM-${i}`).then(() => undefined));
    const { bavail, bsize } = statfsSync(mountDir);
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - LEFT_BYTES)));
    const freeAfterFill = statfsSync(mountDir).bavail * bsize;

    let failures = 0;
    let firstFailureAt = -1;
    await runLoad(
      3000,
      LANES,
      async (i) => {
        const status = await callback(`FULL-${i}`);
        if (status === 200) return;
        failures += 1;
        if (firstFailureAt < 0) firstFailureAt = i;
      },
      () => failures >= 24,
    );
    // Each round waits out the probe interval, so every /readyz makes its own write on the full
    // disk, and then checks that a callback indeed still fails.
    const whileFull: { readyz: number; callback: number }[] = [];
    for (let round = 0; round < 3; round++) {
      await sleep(1100);
      const ready = await readyz(agent, running.adminPort);
      whileFull.push({ readyz: ready, callback: await callback(`FULL-STILL-${round}`) });
    }

    unlinkSync(filler);
    const freed = performance.now();
    const recovered = await waitFor(async () => (await readyz(agent, running.adminPort)) === 200, 10_000, 50);
    const secondsToRecover = (performance.now() - freed) / 1000;
    const afterwards = await Promise.all(Array.from({ length: 20 }, (_, i) => callback(`FULL-AFTER-${i}`)));
    agent.destroy();
    const stayedUp = isRunning(running);
    const exitCode = await stopReceiver(running);

    handle = openDatabase(url);
    const stored = await storedReferences(handle.db);
    const { rows } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(handle.db);
    const integrity = rows.map((r) => r.integrity_check).join('; ');
    const acknowledged = sent.filter((s) => s.status === 200);
    const lost = acknowledged.filter((s) => !stored.has(s.refid)).map((s) => s.refid);
    report('outage sqlite', {
      tmpfs: TMPFS_SIZE,
      freeBytesAfterFill: freeAfterFill,
      requests: sent.length,
      acknowledged: acknowledged.length,
      errors: sent.filter((s) => isError(s.status)).length,
      statuses: tally(sent.map((s) => s.status)),
      firstFailureAfter: firstFailureAt,
      whileFull: whileFull.map((r) => `readyz ${r.readyz} callback ${r.callback}`).join(', '),
      secondsToRecover: recovered ? secondsToRecover : 'never',
      afterwardsStatuses: tally(afterwards),
      exitCode: String(exitCode),
      integrity,
      lost: lost.length,
    });

    expect(stayedUp).toBe(true);
    expect(lost).toEqual([]);
    expect(sent.filter((s) => s.status !== 200 && !isError(s.status)).map((s) => `${s.refid} → ${s.status}`)).toEqual([]);
    expect(failures).toBeGreaterThan(0);
    expect(whileFull.filter((r) => !isError(r.callback))).toEqual([]);
    expect(recovered).toBe(true);
    expect(afterwards).toEqual(afterwards.map(() => 200));
    expect(exitCode).toBe(0);
    expect(integrity).toBe('ok');
    // Unready for as long as callbacks fail: a balancer must not send traffic here.
    expect(whileFull).toEqual(whileFull.map((r) => ({ readyz: 503, callback: r.callback })));
  });
});
