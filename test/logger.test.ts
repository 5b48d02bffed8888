import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import request from 'supertest';
import { startService } from '../src/server';
import { buildApps } from './support/app';
import { startChild } from './support/child';
import { BILLER_TOKEN, billerSource, buildConfig } from './support/config';
import { type TestDatabase, createTestDatabase, testEngine } from './support/database';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

type Line = Record<string, unknown>;

function collectingLogger(level: 'info' | 'warn' = 'info') {
  const lines: Line[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  return { logger, lines };
}

describe('the start line', () => {
  it('names the config file, the database without its password and both listeners, as JSON with an ISO time', async () => {
    const { child, port, adminPort, output } = await startChild(database.url);
    try {
      const lines = output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
      const start = lines.find((line) => line.msg === 'receiver listening');

      expect(start).toMatchObject({
        level: 30,
        engine: testEngine(),
        configFile: expect.stringMatching(/config\.json$/),
        host: '127.0.0.1',
        publicPort: port,
        adminHost: '127.0.0.1',
        adminPort,
      });
      expect(start?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const shown = String(start?.database);
      if (testEngine() === 'sqlite') expect(shown).toBe(database.url);
      const password = /^postgres(?:ql)?:\/\/[^:/@]+:([^@]+)@/.exec(database.url)?.[1];
      if (password) {
        expect(shown).toBe(database.url.replace(`:${password}@`, ':***@'));
        expect(output()).not.toContain(`:${password}@`);
      }
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('is followed by a warning when ADMIN_TOKEN is unset', async () => {
    const { logger, lines } = collectingLogger();
    const service = await startService(buildConfig({ databaseUrl: database.url, adminToken: null }), logger);
    await service.stop();

    const start = lines.findIndex((line) => line.msg === 'receiver listening');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(lines[start + 1]).toMatchObject({ level: 40, msg: expect.stringMatching(/^admin API closed: every \/admin route answers 401/) });
  });

  it('has no such warning when ADMIN_TOKEN is set', async () => {
    const { logger, lines } = collectingLogger();
    const service = await startService(buildConfig({ databaseUrl: database.url }), logger);
    await service.stop();

    expect(lines.some((line) => line.msg === 'receiver listening')).toBe(true);
    expect(lines.filter((line) => String(line.msg).startsWith('admin API closed'))).toEqual([]);
  });
});

describe('the request line of a Biller reversal', () => {
  const PHONE = '081298765432';
  const url = `/callbacks/biller/biller-a/${BILLER_TOKEN}?status=0&refid=LOG-1&product=banktrf&qty=1&dest=${PHONE}&message=Transaksi+s5.${PHONE}+SUKSES,+SN:+11111111111`;

  it('keeps the reference and hides the customer phone number, which the stored record keeps', async () => {
    const { logger, lines } = collectingLogger();
    const apps = buildApps(database, buildConfig({ sources: [billerSource()] }), { logger });

    await request(apps.publicApp).get(url).expect(200, 'OK');
    await new Promise((resolve) => setImmediate(resolve));

    const line = lines.find((l) => l.msg === 'request completed');
    expect((line?.req as { url?: string } | undefined)?.url).toBe(
      '/callbacks/biller/biller-a/[REDACTED]?status=0&refid=LOG-1&product=banktrf&qty=1&dest=[REDACTED]&message=[REDACTED]',
    );
    expect(JSON.stringify(lines)).not.toContain(PHONE);
    const stored = await database.handle.db.selectFrom('inbound_records').select('url').where('url', 'like', '%LOG-1%').executeTakeFirst();
    expect(stored?.url).toContain(`dest=${PHONE}`);
  });
});
