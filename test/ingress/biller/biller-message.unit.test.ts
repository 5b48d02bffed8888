import { describe, expect, it } from '@jest/globals';
import { parseBillerDate, parseBillerMessage, parseRupiah } from '../../../src/ingress/biller/biller-message';

// The message as the query parser hands it over (`+` and `%20` already spaces).
const SEED_SUCCESS =
  'Transaksi s5.2222222222 SUKSES, SN: 11111111111, Saldo: Rp99,999,999, Harga: 201,200, Tgl: 01/01 10:32:12';
const SEED_FAILED = 'Transaksi s5.111111111 GAGAL, Saldo: Rp99,999,999, Tgl: 01/01 10:36:38';

describe('parseBillerMessage', () => {
  it('reads every part of the seed success example', () => {
    expect(parseBillerMessage(SEED_SUCCESS)).toEqual({
      sn: '11111111111',
      balance: '99999999.00',
      price: '201200.00',
      date: '01/01 10:32:12',
      word: 'SUKSES',
    });
  });

  it('reads the seed failure example, which has no SN and no Harga', () => {
    expect(parseBillerMessage(SEED_FAILED)).toEqual({
      sn: null,
      balance: '99999999.00',
      price: null,
      date: '01/01 10:36:38',
      word: 'GAGAL',
    });
  });

  it('tolerates odd spacing around keywords, colons and commas', () => {
    const parsed = parseBillerMessage('Transaksi  s5.1   SUKSES ,SN :  ABC123 ,  Saldo:Rp 5,000,Harga :  1,500 ,Tgl:01/01   10:32:12  ');

    expect(parsed).toEqual({ sn: 'ABC123', balance: '5000.00', price: '1500.00', date: '01/01 10:32:12', word: 'SUKSES' });
  });

  it('reads lowercase keywords', () => {
    const parsed = parseBillerMessage('transaksi s5.1 sukses, sn: 999, saldo: rp1,000, harga: 500, tgl: 02/03 04:05:06');

    expect(parsed).toEqual({ sn: '999', balance: '1000.00', price: '500.00', date: '02/03 04:05:06', word: 'SUKSES' });
  });

  it('keeps a serial number with slashes and dashes whole', () => {
    expect(parseBillerMessage('SUKSES, SN: 1234-5678-9012/BUDI/R1/900/12.5, Harga: 20,500').sn).toBe(
      '1234-5678-9012/BUDI/R1/900/12.5',
    );
  });

  it('keeps non-ASCII text and drops control characters', () => {
    const parsed = parseBillerMessage('Transaksi ✓ SUKSES, SN: ÄÖÜ-123\u0007, Harga: 1.000');

    expect(parsed.sn).toBe('ÄÖÜ-123');
    expect(parsed.price).toBe('1000.00');
  });

  it('reads a 2 KB message without trouble and finds the parts after the padding', () => {
    const message = `Transaksi ${'x'.repeat(2000)} SUKSES, SN: 42, Harga: 10,000`;

    const parsed = parseBillerMessage(message);

    expect(message.length).toBeGreaterThan(2000);
    expect(parsed).toMatchObject({ sn: '42', price: '10000.00', word: 'SUKSES' });
  });

  it('gives nulls for a message with none of the parts', () => {
    expect(parseBillerMessage('Transaksi sedang diproses')).toEqual({
      sn: null,
      balance: null,
      price: null,
      date: null,
      word: null,
    });
  });

  it('treats an empty SN as missing', () => {
    expect(parseBillerMessage('SUKSES, SN: , Harga: 1,000').sn).toBeNull();
  });
});

describe('parseRupiah', () => {
  it.each([
    ['Rp99,999,999', '99999999.00'],
    ['201,200', '201200.00'],
    ['201.200', '201200.00'],
    ['5000', '5000.00'],
    ['Rp. 1.234,50', '1234.50'],
    ['1,234.5', '1234.50'],
    ['Rp-5,000', '-5000.00'],
    ['007', '7.00'],
  ])('reads %s as %s', (text, value) => {
    expect(parseRupiah(text)).toBe(value);
  });

  it.each(['', 'Rp', 'abc', '1,2,3', '12,34,567', '1.2.3,4,5', '99999999999999999'])('refuses to guess at %j', (text) => {
    expect(parseRupiah(text)).toBeNull();
  });
});

describe('parseBillerDate', () => {
  const received = new Date('2026-11-22T03:00:00.000Z');

  it('reads dd/mm HH:MM:SS as Jakarta time in the year received', () => {
    expect(parseBillerDate('21/11 10:32:12', received)).toBe('2026-11-21T03:32:12.000Z');
  });

  it('puts a date just after the turn of the year into the year before', () => {
    expect(parseBillerDate('31/12 23:59:00', new Date('2027-01-01T00:30:00.000Z'))).toBe('2026-12-31T16:59:00.000Z');
  });

  it('reads an explicit year', () => {
    expect(parseBillerDate('05/06/2025 07:08:09', received)).toBe('2025-06-05T00:08:09.000Z');
  });

  it.each([null, 'kemarin', '32/01 10:00:00', '01/13 10:00:00', '01/01 25:00:00'])('gives null for %j', (text) => {
    expect(parseBillerDate(text, received)).toBeNull();
  });
});
