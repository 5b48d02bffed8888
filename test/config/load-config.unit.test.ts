import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load-config';

const PUBLIC_KEY = readFileSync(join(__dirname, '../fixtures/keys/test-only-provider.public.pem'), 'utf8');

function writeConfig(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-config-'));
  writeFileSync(join(dir, 'provider.pub.pem'), PUBLIC_KEY);
  const path = join(dir, 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const biller = { id: 'biller-a', type: 'biller', allowedIps: ['203.0.113.10', '198.51.100.0/24', '2001:db8::/32'], token: { env: 'BILLER_A_TOKEN' } };
const snap = {
  id: 'bank-x',
  type: 'snap',
  partnerId: '82150823919040624621823174737537',
  allowedIps: ['127.0.0.1/32'],
  signature: 'symmetric',
  publicKey: { file: 'provider.pub.pem' },
  clientSecret: { env: 'BANK_X_CLIENT_SECRET' },
};
const subscriber = { id: 'ledger', url: 'http://127.0.0.1:9000/hooks', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };
const mmbc = {
  id: 'mmbc-reload',
  type: 'mmbc-multipayment',
  baseUrl: 'https://klikmbc.co.id/',
  username: 'agent-1',
  password: { env: 'MMBC_PASSWORD' },
};
const secrets = { BILLER_A_TOKEN: 'tok', BANK_X_CLIENT_SECRET: 'client-secret', MMBC_PASSWORD: 'mmbc-password' };

function load(content: unknown, env: Record<string, string> = {}) {
  return loadConfig({ CONFIG_FILE: writeConfig(content), ...secrets, ...env });
}

describe('loadConfig', () => {
  it('reads the contract example with defaults filled in, secrets resolved, and freezes it', () => {
    const config = load({ sources: [biller, snap], subscribers: [subscriber] });

    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      adminPort: 8081,
      adminHost: '127.0.0.1',
      adminToken: null,
      trustProxy: 0,
      databaseUrl: 'sqlite:data/receiver.db',
      deliveryWorkers: 4,
      rateLimitPerIpPerMinute: 12000,
      retentionDays: 0,
    });
    expect(config.sources[0]).toEqual({ ...biller, token: 'tok', rateLimitPerMinute: 6000 });
    expect(config.sources[1]).toMatchObject({ publicKey: PUBLIC_KEY, clientSecret: 'client-secret', timestampToleranceSeconds: 300, accessTokenTtlSeconds: 900 });
    expect(config.subscribers[0]).toMatchObject({ secrets: [subscriber.secret], retrySchedule: [5, 300, 1800, 7200, 18000, 36000, 36000], timeoutSeconds: 10, concurrency: 4 });
    expect(Object.isFrozen(config.sources[0])).toBe(true);
  });

  it('reads MMBC sources (CONTRACT 7) with the defaults of the contract', () => {
    const config = load({ sources: [mmbc, { ...mmbc, id: 'mmbc-ppob', type: 'mmbc-ppob', pollSchedule: [5], maxConcurrentPolls: 2 }] });

    expect(config.sources[0]).toEqual({
      id: 'mmbc-reload',
      type: 'mmbc-multipayment',
      baseUrl: 'https://klikmbc.co.id',
      username: 'agent-1',
      password: 'mmbc-password',
      pollSchedule: [10, 30, 60, 120, 300, 600, 1800],
      deadlineSeconds: 172800,
      timeoutSeconds: 30,
      maxConcurrentPolls: 4,
    });
    expect(config.sources[1]).toMatchObject({ type: 'mmbc-ppob', pollSchedule: [5], maxConcurrentPolls: 2 });
  });

  it("reads a subscriber's concurrency", () => {
    const config = load({ sources: [biller], subscribers: [{ ...subscriber, concurrency: 16 }] });

    expect(config.subscribers[0]?.concurrency).toBe(16);
  });

  describe('with allowMissingSecrets (the CLI\'s read-only commands)', () => {
    const everySecretFromEnv = {
      sources: [biller, { ...snap, publicKey: { env: 'BANK_X_PUBLIC_KEY' } }, mmbc],
      subscribers: [{ ...subscriber, secret: [{ env: 'LEDGER_SECRET' }, subscriber.secret] }],
    };
    const unset = { BILLER_A_TOKEN: '', BANK_X_CLIENT_SECRET: '', MMBC_PASSWORD: '' };

    it('loads although no secret variable is set, giving each missing secret a value nobody knows', () => {
      const config = loadConfig({ CONFIG_FILE: writeConfig(everySecretFromEnv), ...unset }, { allowMissingSecrets: true });
      const again = loadConfig({ CONFIG_FILE: writeConfig(everySecretFromEnv), ...unset }, { allowMissingSecrets: true });

      const [billerSource, snapSource, mmbcSource] = config.sources as unknown as Record<string, string>[];
      const standIn = billerSource!.token!;
      expect(standIn).toMatch(/^unset-[0-9a-f]{64}$/);
      expect([snapSource!.publicKey, snapSource!.clientSecret, mmbcSource!.password]).toEqual([standIn, standIn, standIn]);
      expect(config.subscribers[0]?.secrets).toEqual([standIn, subscriber.secret]);
      expect((again.sources[0] as unknown as Record<string, string>).token).not.toBe(standIn);
    });

    it('keeps every secret that is set', () => {
      const config = loadConfig({ CONFIG_FILE: writeConfig({ sources: [biller, snap, mmbc] }), ...secrets }, { allowMissingSecrets: true });

      expect(config.sources.map((s) => ('token' in s ? s.token : 'clientSecret' in s ? s.clientSecret : s.password))).toEqual(['tok', 'client-secret', 'mmbc-password']);
    });

    it('still refuses what is wrong rather than missing: a literal secret without whsec_, a key file that is not there', () => {
      const badSecret = () => loadConfig({ CONFIG_FILE: writeConfig({ sources: [biller], subscribers: [{ ...subscriber, secret: 'plain' }] }) }, { allowMissingSecrets: true });
      const missingFile = () => loadConfig({ CONFIG_FILE: writeConfig({ sources: [{ ...snap, publicKey: { file: 'nope.pem' } }] }) }, { allowMissingSecrets: true });

      expect(badSecret).toThrow('config: /subscribers/0/secret: must be whsec_ followed by a base64 key of at least 16 bytes');
      expect(missingFile).toThrow('config: /sources/0/publicKey: cannot read nope.pem (ENOENT)');
    });

    it('is off by default: the same file without the variables stops loading, naming the first one', () => {
      const strict = () => loadConfig({ CONFIG_FILE: writeConfig(everySecretFromEnv), ...unset });

      expect(strict).toThrow('config: /sources/0/token: environment variable BILLER_A_TOKEN is not set');
    });
  });

  it.each<[string, unknown, Record<string, string>, string]>([
    ['a missing file', null, { CONFIG_FILE: '/nonexistent/config.json' }, 'config: CONFIG_FILE: cannot read /nonexistent/config.json (ENOENT)'],
    ['a file that is not JSON', '{"sources": [', {}, 'config: CONFIG_FILE: '],
    ['a bad CIDR', { sources: [{ ...biller, allowedIps: ['10.0.0.0/33'] }] }, {}, 'config: /sources/0/allowedIps/0: must be an IP address or CIDR range'],
    ['an address that is not one', { sources: [{ ...biller, allowedIps: ['127.1'] }] }, {}, 'config: /sources/0/allowedIps/0: must be an IP address or CIDR range'],
    ['an unknown source type', { sources: [biller, { ...biller, id: 'b', type: 'ftp' }] }, {}, 'config: /sources/1/type: is not a known type'],
    ['a missing {"env"} variable', { sources: [biller] }, { BILLER_A_TOKEN: '' }, 'config: /sources/0/token: environment variable BILLER_A_TOKEN is not set'],
    ['a key that is not PEM', { sources: [{ ...snap, publicKey: 'not a key' }] }, {}, 'config: /sources/0/publicKey: must be a PEM public key'],
    ['a key file that is missing', { sources: [{ ...snap, publicKey: { file: 'nope.pem' } }] }, {}, 'config: /sources/0/publicKey: cannot read nope.pem (ENOENT)'],
    ['a symmetric source without clientSecret', { sources: [{ ...snap, clientSecret: undefined }] }, {}, 'config: /sources/0/clientSecret: is required when signature is symmetric'],
    ['a misspelt property', { sources: [{ ...biller, tokn: 'x' }] }, {}, 'config: /sources/0/tokn: is not a known property'],
    ['a duplicate source id', { sources: [biller, biller] }, {}, 'config: /sources/1/id: duplicate source id "biller-a"'],
    ['a subscriber secret without whsec_', { sources: [biller], subscribers: [{ ...subscriber, secret: 'plain' }] }, {}, 'config: /subscribers/0/secret: must be whsec_ followed by a base64 key of at least 16 bytes'],
    ['a subscriber concurrency of 0', { sources: [biller], subscribers: [{ ...subscriber, concurrency: 0 }] }, {}, 'config: /subscribers/0/concurrency: must be >= 1'],
    ['a subscriber concurrency above 1000', { sources: [biller], subscribers: [{ ...subscriber, concurrency: 1001 }] }, {}, 'config: /subscribers/0/concurrency: must be <= 1000'],
    ['a fractional subscriber concurrency', { sources: [biller], subscribers: [{ ...subscriber, concurrency: 2.5 }] }, {}, 'config: /subscribers/0/concurrency: must be integer'],
    ['a filter naming an unknown source', { sources: [biller], subscribers: [{ ...subscriber, filter: { sources: ['nobody'] } }] }, {}, 'config: /subscribers/0/filter/sources/0: no source has the id "nobody"'],
    ['an MMBC source without password', { sources: [{ ...mmbc, password: undefined }] }, {}, 'config: /sources/0/password: is required'],
    ['an MMBC password variable unset', { sources: [mmbc] }, { MMBC_PASSWORD: '' }, 'config: /sources/0/password: environment variable MMBC_PASSWORD is not set'],
    ['an MMBC baseUrl that is not http(s)', { sources: [{ ...mmbc, baseUrl: 'ftp://klikmbc.co.id' }] }, {}, 'config: /sources/0/baseUrl: '],
    ['an empty pollSchedule', { sources: [{ ...mmbc, pollSchedule: [] }] }, {}, 'config: /sources/0/pollSchedule: '],
    ['allowedIps on an MMBC source', { sources: [{ ...mmbc, allowedIps: [] }] }, {}, 'config: /sources/0/allowedIps: is not a known property'],
    ['a bad PORT', { sources: [biller] }, { PORT: 'eighty' }, 'config: PORT: must be an integer from 0 to 65535'],
    ['a bad DATABASE_URL', { sources: [biller] }, { DATABASE_URL: 'mysql://x' }, 'config: DATABASE_URL: must be sqlite:<path>, sqlite::memory: or postgres://user:pass@host:port/db'],
    ['a bad RETENTION_DAYS', { sources: [biller] }, { RETENTION_DAYS: '30d' }, 'config: RETENTION_DAYS: must be an integer from 0 to 36500'],
    ['a bad TRUST_PROXY', { sources: [biller] }, { TRUST_PROXY: '-1' }, 'config: TRUST_PROXY: must be an integer from 0 to 10'],
  ])('refuses %s with one line naming the place', (_what, content, env, message) => {
    const run = () => (content === null ? loadConfig({ ...secrets, ...env }) : load(content, env));

    expect(run).toThrow(message);
    try {
      run();
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
