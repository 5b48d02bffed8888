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
