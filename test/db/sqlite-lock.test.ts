import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { type ChildReceiver, startChild } from '../support/child';
import { BILLER_TOKEN } from '../support/config';
import { testEngine } from '../support/database';

// One server per SQLite file: a second is refused, the CLI is not, and a crash leaves nothing
// in the way of the next start. Real processes, since the lock is the operating system's.

const DIST = join(__dirname, '../../dist/src');
const describeSqlite = testEngine() === 'sqlite' ? describe : describe.skip;
const running: ChildReceiver[] = [];

afterEach(async () => {
  for (const { child } of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

function freshFile(): { url: string; configFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-lock-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ sources: [{ id: 'biller-a', type: 'biller', allowedIps: ['127.0.0.1'], token: BILLER_TOKEN }] }));
  return { url: `sqlite:${join(dir, 'receiver.db')}`, configFile };
}

/** Runs a compiled entry point to its end: its exit code and what it wrote. */
async function run(script: string, args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(DIST, script), ...args], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ADMIN_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  return { code, stdout, stderr };
}

async function callback(receiver: ChildReceiver, refid: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${receiver.port}/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=${refid}`);
  return `${res.status} ${await res.text()}`;
}

describeSqlite('one server per SQLite file', () => {
  it('refuses a second server on the same file, naming the first one, and the first keeps serving', async () => {
    const { url, configFile } = freshFile();
    const first = await startChild(url);
    running.push(first);

    const second = await run('server.js', [], { DATABASE_URL: url, CONFIG_FILE: configFile });

    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`^receiver: another receiver \\(pid ${first.child.pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\) is serving ${url}; stop it, or use PostgreSQL to run several replicas\\n$`),
    );
    expect(await callback(first, 'LOCK-1')).toBe('200 OK');
  });

  it('lets the CLI open the file while a server holds it', async () => {
    const { url, configFile } = freshFile();
    running.push(await startChild(url));

    const cli = await run('cli.js', ['migrate'], { DATABASE_URL: url, CONFIG_FILE: configFile });

    expect([cli.code, cli.stderr]).toEqual([0, '']);
  });

  it('starts on a file whose server was killed: the lock ends with its holder', async () => {
    const { url } = freshFile();
    const crashed = await startChild(url);
    running.push(crashed);
    crashed.child.kill('SIGKILL');
    await once(crashed.child, 'exit');

    const next = await startChild(url);
    running.push(next);

    expect(await callback(next, 'LOCK-2')).toBe('200 OK');
  });
});
