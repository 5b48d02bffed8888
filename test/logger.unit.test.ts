import { describe, expect, it, jest } from '@jest/globals';
import { createLogger, maskPersonalQuery } from '../src/logger';

function capture(isTTY: boolean) {
  const lines: string[] = [];
  return { isTTY, lines, write: (line: string) => void lines.push(line) };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('createLogger', () => {
  it('writes one JSON object a line, with an ISO time, when the output is not a terminal', () => {
    const output = capture(false);

    createLogger('info', output).info({ publicPort: 8080 }, 'receiver listening');

    expect(output.lines).toHaveLength(1);
    const line = JSON.parse(output.lines[0] ?? '') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, publicPort: 8080, msg: 'receiver listening' });
    expect(line.time).toMatch(ISO_TIME);
  });

  it('writes readable lines on a terminal: time, level, message, then the fields', () => {
    const output = capture(true);

    createLogger('info', output).info({ publicPort: 8080 }, 'receiver listening');

    const text = output.lines.join('');
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toMatch(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4}\] INFO: receiver listening\n/);
    expect(text).toContain('publicPort: 8080');
    expect(text).not.toContain('hostname');
  });

  it('honours the level on a terminal too', () => {
    const output = capture(true);

    const logger = createLogger('warn', output);
    logger.info('not shown');
    logger.warn('shown');

    expect(output.lines.join('')).toMatch(/WARN: shown/);
    expect(output.lines.join('')).not.toContain('not shown');
  });

  it('keeps redacting credentials on a terminal', () => {
    const output = capture(true);

    createLogger('info', output).info({ req: { headers: { authorization: 'Bearer secret-token-1' } } }, 'request completed');

    expect(output.lines.join('')).not.toContain('secret-token-1');
  });

  it('writes JSON on a terminal when pino-pretty is not installed (a production install)', () => {
    let logger!: typeof import('../src/logger');
    jest.isolateModules(() => {
      jest.doMock('pino-pretty', () => {
        throw Object.assign(new Error("Cannot find module 'pino-pretty'"), { code: 'MODULE_NOT_FOUND' });
      });
      logger = jest.requireActual<typeof import('../src/logger')>('../src/logger');
    });
    const output = capture(true);

    logger.createLogger('info', output).info('receiver listening');

    expect(JSON.parse(output.lines[0] ?? '')).toMatchObject({ msg: 'receiver listening', time: expect.stringMatching(ISO_TIME) });
    jest.dontMock('pino-pretty');
  });
});

describe('maskPersonalQuery', () => {
  it('hides the customer phone number and the message that repeats it, and keeps the rest', () => {
    expect(maskPersonalQuery('/callbacks/biller/biller-a/[REDACTED]?status=0&refid=TRX-1&product=banktrf&dest=0812345678&message=Transaksi+s5.0812345678+SUKSES')).toBe(
      '/callbacks/biller/biller-a/[REDACTED]?status=0&refid=TRX-1&product=banktrf&dest=[REDACTED]&message=[REDACTED]',
    );
  });

  it('hides them however the name is spelled and however often it is given', () => {
    expect(maskPersonalQuery('/x?d%65st=0812345678&DEST=0812345678&dest=0899&refid=1')).toBe('/x?d%65st=[REDACTED]&DEST=[REDACTED]&dest=[REDACTED]&refid=1');
  });

  it('leaves a URL without them as it is', () => {
    const url = '/callbacks/biller/biller-a?status=0&refid=R-1&destination';
    expect(maskPersonalQuery(url)).toBe(url);
  });
});
