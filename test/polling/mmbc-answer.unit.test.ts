import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type PollAnswer, parseMmbcAmount, readAnswer } from '../../src/polling/mmbc-answer';

const reload = { id: 'mmbc-reload', type: 'mmbc-multipayment' } as const;
const ppob = { id: 'mmbc-ppob', type: 'mmbc-ppob' } as const;

function answer(body: unknown, statusCode = 200): PollAnswer {
  return { kind: 'answer', statusCode, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

describe('parseMmbcAmount', () => {
  it.each([
    ['100000', '100000.00'],
    ['102.500', '102500.00'],
    ['94,50', '94.50'],
    ['94,5', '94.50'],
    ['1.234.567,89', '1234567.89'],
    ['0', '0.00'],
    ['007', '7.00'],
    [' 2500 ', '2500.00'],
  ])('reads %j as %s', (raw, value) => {
    expect(parseMmbcAmount(raw)).toBe(value);
  });

  it.each(['102.50', '1.5', '1,234.00', '12.3456', '-100', '100,123', '', 'Rp. 100', '1e5', '1 000', '.500', '1..000'])(
    'refuses %j rather than guess',
    (raw) => {
      expect(parseMmbcAmount(raw)).toBeNull();
    },
  );

  it('reads any amount written with dots between thousands and a decimal comma back exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 99 }), (whole, cents) => {
        const grouped = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.');
        const written = `${grouped},${String(cents).padStart(2, '0')}`;
        expect(parseMmbcAmount(written)).toBe(`${whole.toString()}.${String(cents).padStart(2, '0')}`);
      }),
    );
  });
});

describe('readAnswer', () => {
  it.each([
    ['91', 'provider_error', false],
    ['93', 'provider_error', true],
    ['99', 'provider_error', false],
    ['57', 'credentials_refused', false],
    ['58', 'credentials_refused', false],
    ['59', 'credentials_refused', false],
    ['01', 'refused', false],
    ['51', 'refused', false],
    ['65', 'refused', false],
  ])('reason_code %s is %s (pauses the source: %s)', (code, outcome, pause) => {
    const reading = readAnswer(reload, 'INV', answer({ result: 'no', reason_code: code, reason: 'x' }));
    expect(reading).toMatchObject({ outcome, pauseSource: pause, detail: `${code}: x` });
  });

  it('takes a numeric reason_code as well', () => {
    expect(readAnswer(reload, 'INV', answer({ result: 'no', reason_code: 93, reason: 'busy' }))).toMatchObject({
      outcome: 'provider_error',
      pauseSource: true,
    });
  });

  it('"No Data!" is no_data; another reason without a code is refused', () => {
    expect(readAnswer(ppob, 'INV', answer({ result: 'no', reason: 'No Data!' })).outcome).toBe('no_data');
    expect(readAnswer(ppob, 'INV', answer({ result: 'no', reason: 'ERROR PLN 123456789: TRANSAKSI GAGAL' })).outcome).toBe('refused');
  });

  it('HTTP errors, timeouts and unreadable answers make no report', () => {
    expect(readAnswer(reload, 'INV', answer('oops', 503)).outcome).toBe('http_error');
    expect(readAnswer(reload, 'INV', { kind: 'failure', outcome: 'timeout', detail: 't' }).outcome).toBe('timeout');
    expect(readAnswer(reload, 'INV', answer('[1]')).outcome).toBe('unexpected');
    expect(readAnswer(reload, 'INV', answer({ result: 'maybe' })).outcome).toBe('unexpected');
    expect(readAnswer(reload, 'INV', answer({ result: 'ok', invoice: 'INV' })).detail).toBe('the answer has no status');
  });

  it('REFUND depends on the current status; CONFIRM and pending do not; an amount it cannot read stays in details', () => {
    const refund = readAnswer(reload, 'INV', answer({ result: 'ok', invoice: 'INV', status: 'REFUND', amount: '10.5' }));
    if (refund.outcome !== 'status') throw new Error('expected a status');
    expect(refund.terminal).toBe(true);
    expect(refund.report('SUCCESS').status).toBe('REFUNDED');
    expect(refund.report('PENDING').status).toBe('FAILED');
    expect(refund.report(null)).toMatchObject({ status: 'FAILED', providerStatus: 'REFUND', amount: null, details: { unreadableAmount: '10.5' } });

    const pending = readAnswer(ppob, 'P', answer({ result: 'ok', ppob_invoice: 'P', ppob_status: 'pending', ppob_totalbayar: '20.700' }));
    if (pending.outcome !== 'status') throw new Error('expected a status');
    expect(pending.terminal).toBe(false);
    expect(pending.report(null)).toMatchObject({ status: 'PENDING', amount: { value: '20700.00', currency: 'IDR' }, providerReference: null });
  });
});
