import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVER = join(__dirname, '../../dist/src/server.js');

export interface RunningReceiver {
  readonly publicUrl: string;
  readonly adminUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The compiled receiver as operators run it: its own process, a config file, an SQLite file,
 * both listeners on 127.0.0.1 at ports of the system's choosing.
 */
export async function startReceiver(config: object, env: Record<string, string>): Promise<RunningReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-e2e-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const child: ChildProcess = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      CONFIG_FILE: join(dir, 'config.json'),
      DATABASE_URL: `sqlite:${join(dir, 'receiver.db')}`,
      HOST: '127.0.0.1',
      PORT: '0',
      ADMIN_HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ports = await new Promise<{ publicPort: number; adminPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the receiver did not start: ${output}`)), 20_000);
    const look = () => {
      const line = output.split('\n').find((l) => l.includes('"receiver listening"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout?.off('data', look);
      resolve(JSON.parse(line) as { publicPort: number; adminPort: number });
    };
    child.stdout?.on('data', look);
    void exited.then(() => reject(new Error(`the receiver exited: ${output}`)));
  });

  return {
    publicUrl: `http://127.0.0.1:${ports.publicPort}`,
    adminUrl: `http://127.0.0.1:${ports.adminPort}`,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
