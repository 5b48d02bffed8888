import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BILLER_TOKEN } from './config';

const SERVER = join(__dirname, '../../dist/src/server.js');

export interface ChildReceiver {
  readonly child: ChildProcess;
  readonly port: number;
  readonly adminPort: number;
  /** Everything it wrote on stdout and stderr so far. */
  output(): string;
}

/** Starts the compiled receiver (a biller source on 127.0.0.1) in a child process and waits until it listens. */
export async function startChild(databaseUrl: string, env: Record<string, string> = {}): Promise<ChildReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-child-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ sources: [{ id: 'biller-a', type: 'biller', allowedIps: ['127.0.0.1', '::1'], token: BILLER_TOKEN }] }));
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      CONFIG_FILE: join(dir, 'config.json'),
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: '0',
      ADMIN_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`receiver did not start: ${output}`)), 20_000);
    const onData = () => {
      const line = output.split('\n').find((l) => l.includes('"receiver listening"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      const { publicPort, adminPort } = JSON.parse(line) as { publicPort: number; adminPort: number };
      resolve({ child, port: publicPort, adminPort, output: () => output });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`receiver exited with ${String(code)}: ${output}`)));
  });
}
