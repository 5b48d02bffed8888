import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The compiled CLI; jest's global setup builds it before any test runs. */
export const CLI = join(__dirname, '../../dist/src/cli.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI as an operator would, with only the environment given (and PATH). */
export function runCli(env: Record<string, string>, ...args: string[]): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A config file in a folder of its own; answers its path. */
export function writeConfigFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'receiver-cli-')), 'config.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

/** The non-empty lines of a command's output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
