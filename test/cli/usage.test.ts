import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program';
import { loadConfig } from '../../src/config/load-config';
import { type TestDatabase, createTestDatabase } from '../support/database';
import { runCli, writeConfigFile } from './run-cli';

// What every command shares: version, help, and complaints that name the flag.

let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  env = { DATABASE_URL: database.url, CONFIG_FILE: writeConfigFile({ sources: [{ id: 'biller-a', type: 'biller', allowedIps: [] }] }) };
});
afterAll(async () => {
  await database.close();
});

const cli = (...args: string[]) => runCli(env, ...args);
const HINT = '(add --help for the options and examples)\n';

/** Every command under `command`, itself included, with its path of names. */
function commandsOf(command: Command, path: string[] = []): { path: string[]; command: Command }[] {
  return [{ path, command }, ...command.commands.flatMap((sub) => commandsOf(sub, [...path, sub.name()]))];
}

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

describe('npm run -s cli -- --version', () => {
  it("prints package.json's version and nothing else", () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };

    expect(cli('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(cli('-V').stdout).toBe(`${version}\n`);
  });
});

describe('help', () => {
  const all = commandsOf(buildProgram());

  it('finds every command, the read commands among them', () => {
    const paths = all.map(({ path }) => path.join(' '));

    expect(paths).toEqual(
      expect.arrayContaining(['events show', 'transactions show', 'inbound list', 'inbound show', 'deliveries show', 'reprocess', 'secret new', 'backup']),
    );
    expect(paths.length).toBeGreaterThan(20);
  });

  it.each(all.map(({ path, command }) => [path.join(' ') || '(the program)', path, command] as const))(
    '%s has an Examples block whose lines run that command',
    (_name, path, command) => {
      const [, block = ''] = helpOf(command).split('\nExamples:\n');

      const examples = block.split('\n').filter((line) => line !== '');
      expect(examples.length).toBeGreaterThan(0);
      for (const line of examples) expect(line).toContain(['npm run -s cli --', ...path].join(' '));
    },
  );

  it.each(all.map(({ path, command }) => [path.join(' ') || '(the program)', command] as const))('%s says what each of its options and arguments is', (_name, command) => {
    const undescribed = [
      ...command.options.filter((option) => !option.description).map((option) => option.flags),
      ...command.registeredArguments.filter((argument) => !argument.description).map((argument) => argument.name()),
    ];

    expect(undescribed).toEqual([]);
  });

  it('says in the help of each list that --json prints the next cursor on stderr', () => {
    for (const path of ['events list', 'inbound list', 'deliveries list', 'watch list']) {
      const command = all.find((c) => c.path.join(' ') === path)!.command;
      const help = helpOf(command).replace(/\s+/g, ' ');
      expect(help).toMatch(/--json one JSON object a line on stdout; when there are more \w+, "next cursor: <cursor>" on stderr/);
      expect(help).toMatch(/--cursor <cursor> continue after the previous page/);
    }
  });

  it('answers --help with exit 0 on stdout, and a command group without its subcommand with exit 2 on stderr', () => {
    const asked = cli('deliveries', '--help');
    const missing = cli('deliveries');

    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain('Usage: receiver deliveries [options] [command]');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('Usage: receiver deliveries [options] [command]');
  });
});

describe('a value the command cannot take', () => {
  it.each([
    [['events', 'list', '--limit', 'x'], "error: option '--limit <n>' argument 'x' is invalid. It must be a whole number from 1 to 500."],
    [['events', 'list', '--limit', '501'], "error: option '--limit <n>' argument '501' is invalid. It must be a whole number from 1 to 500."],
    [['inbound', 'list', '--since', 'yesterday'], "error: option '--since <iso-time>' argument 'yesterday' is invalid. It must be an ISO 8601 time with a zone, e.g. 2026-11-21T00:00:00Z or 2026-11-21T07:00:00+07:00."],
    [['deliveries', 'list', '--cursor', 'not-a-cursor'], "error: option '--cursor <cursor>' argument 'not-a-cursor' is invalid. It is not a cursor this command printed: copy the one after \"--cursor\" or \"next cursor:\"."],
    [['events', 'list', '--channel', 'fax'], "error: option '--channel <channel>' argument 'fax' is invalid. Allowed choices are biller, snap.bulk-cashin, snap.qr-cpm, mmbc.multipayment, mmbc.ppob."],
    [['inbound', 'list', '--outcome', 'lost'], "error: option '--outcome <outcome>' argument 'lost' is invalid. Allowed choices are accepted, duplicate, rejected."],
    [['deliveries', 'list', '--state', 'stuck'], "error: option '--state <state>' argument 'stuck' is invalid. Allowed choices are pending, delivered, dead."],
    [['replay', '--reference', ''], "error: option '--reference <reference>' argument '' is invalid. It must be 1 to 256 characters."],
  ])('%j exits 2, naming the flag and what it takes', (args, message) => {
    const result = cli(...args);

    expect(result).toEqual({ code: 2, stdout: '', stderr: `${message}\n${HINT}` });
  });
});

describe('npm run -s cli -- secret new', () => {
  it('prints a fresh whsec_ secret of 32 random bytes on one line, and nothing else', () => {
    const first = cli('secret', 'new');
    const second = cli('secret', 'new');

    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^whsec_[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(first.stdout.trim().slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(second.stdout).not.toBe(first.stdout);
  });

  it('makes a secret the config file takes for a subscriber', () => {
    const secret = cli('secret', 'new').stdout.trim();
    const file = writeConfigFile({ sources: [], subscribers: [{ id: 'ledger', url: 'http://127.0.0.1:9/hooks', secret }] });

    expect(loadConfig({ CONFIG_FILE: file }).subscribers[0]?.secrets).toEqual([secret]);
  });
});
