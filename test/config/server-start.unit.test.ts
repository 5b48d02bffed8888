import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const SERVER = join(__dirname, '../../dist/src/server.js');

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', ADMIN_PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('starting the receiver with a bad configuration', () => {
  it('exits non-zero with one line naming the missing file', () => {
    const result = start({ CONFIG_FILE: '/nonexistent/receiver.json' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toBe('config: CONFIG_FILE: cannot read /nonexistent/receiver.json (ENOENT)\n');
    expect(result.stdout).toBe('');
  });

  it('exits non-zero with one line naming the JSON path at fault', () => {
    const dir = mkdtempSync(join(tmpdir(), 'receiver-start-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ sources: [{ id: 'a', type: 'biller', allowedIps: ['300.1.1.1'] }] }));

    const result = start({ CONFIG_FILE: join(dir, 'c.json') });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toBe('config: /sources/0/allowedIps/0: must be an IP address or CIDR range\n');
  });

  it('exits non-zero naming a bad environment variable', () => {
    const result = start({ LOG_LEVEL: 'loud' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toBe('config: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent\n');
  });
});

function configFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-start-'));
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ sources: [{ id: 'a', type: 'biller', allowedIps: ['127.0.0.1'], token: 'tok' }] }));
  return join(dir, 'c.json');
}

describe('starting the receiver without its database', () => {
  it('names DATABASE_URL, with the password hidden, when PostgreSQL refuses the connection', () => {
    // Nothing listens on port 1.
    const result = start({ CONFIG_FILE: configFile(), DATABASE_URL: 'postgres://receiver:s3cret-pw@127.0.0.1:1/receiver?sslmode=disable' });

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'receiver: cannot connect to the database at DATABASE_URL postgres://receiver:***@127.0.0.1:1/receiver?sslmode=disable (connect ECONNREFUSED 127.0.0.1:1)\n',
    );
    expect(result.stdout).not.toContain('s3cret-pw');
  });

  it('names DATABASE_URL when the SQLite file cannot be opened', () => {
    // A file where the database's folder should be.
    const file = configFile();

    const result = start({ CONFIG_FILE: file, DATABASE_URL: `sqlite:${file}/receiver.db` });

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^receiver: cannot open the database at DATABASE_URL sqlite:${file}/receiver.db \\(E[A-Z]+: .*\\)\n$`));
  });

  it.each([
    ['DATABASE_POOL_SIZE', '1', 'must be an integer from 2 to 1000'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '30s', 'must be an integer from 0 to 86400000'],
  ])('exits 2 with one line when %s is %s', (name, value, reason) => {
    const result = start({ CONFIG_FILE: configFile(), [name]: value });

    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`config: ${name}: ${reason}\n`);
  });
});
