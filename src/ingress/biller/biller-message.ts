/**
 * The free-text `message` of a Biller reversal, e.g.
 * `Transaksi s5.2222222222 SUKSES, SN: 11111111111, Saldo: Rp99,999,999, Harga: 201,200, Tgl: 01/01 10:32:12`.
 * Every part is optional and providers vary spacing and case, so each is looked for on its own.
 */
export interface BillerMessage {
  readonly sn: string | null;
  /** Partner balance after the transaction, decimal string. */
  readonly balance: string | null;
  /** Price charged, decimal string. */
  readonly price: string | null;
  /** `Tgl` as written (day/month and time, Jakarta time, usually no year). */
  readonly date: string | null;
  /** SUKSES or GAGAL when the text says so. */
  readonly word: 'SUKSES' | 'GAGAL' | null;
}

const KEYWORD = /(?:^|[\s,;])(SN|Saldo|Harga|Tgl)\s*[:=]\s*/gi;

export function parseBillerMessage(message: string): BillerMessage {
  // Control characters never belong in a value, and runs of spaces are a provider's whim.
  const text = message.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim();
  const parts = new Map<string, string>();
  const matches = [...text.matchAll(KEYWORD)];
  matches.forEach((match, i) => {
    const key = (match[1] ?? '').toLowerCase();
    const start = (match.index ?? 0) + match[0].length;
    const end = matches[i + 1]?.index ?? text.length;
    const value = text.slice(start, end).replace(/[\s,;]+$/, '');
    if (value !== '' && !parts.has(key)) parts.set(key, value);
  });
  const word = /\bSUKSES\b/i.test(text) ? 'SUKSES' : /\bGAGAL\b/i.test(text) ? 'GAGAL' : null;
  return {
    sn: parts.get('sn') ?? null,
    balance: parseRupiah(parts.get('saldo')),
    price: parseRupiah(parts.get('harga')),
    date: parts.get('tgl') ?? null,
    word,
  };
}

/**
 * `Rp99,999,999`, `201,200`, `201.200` and `5000` are whole rupiah; `1,234.50` or `1.234,50`
 * carry cents. Anything else is not guessed at: null.
 */
export function parseRupiah(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let text = raw.replace(/^Rp\.?/i, '').replace(/\s/g, '');
  const negative = text.startsWith('-');
  if (negative) text = text.slice(1);
  let whole: string;
  let cents = '00';
  const grouped = /^\d{1,3}([.,])\d{3}(?:\1\d{3})*$/.exec(text);
  const decimal = /^(\d{1,3}(?:([.,])\d{3})*|\d+)([.,])(\d{1,2})$/.exec(text);
  if (/^\d+$/.test(text)) {
    whole = text;
  } else if (grouped) {
    whole = text.replace(/[.,]/g, '');
  } else if (decimal && decimal[2] !== decimal[3]) {
    whole = (decimal[1] ?? '').replace(/[.,]/g, '');
    cents = (decimal[4] ?? '').padEnd(2, '0');
  } else {
    return null;
  }
  whole = whole.replace(/^0+(?=\d)/, '');
  if (whole.length > 16) return null;
  return `${negative && /[1-9]/.test(whole + cents) ? '-' : ''}${whole}.${cents}`;
}

const JAKARTA_OFFSET_MS = 7 * 60 * 60 * 1000;

/**
 * Reads `Tgl` (`dd/mm HH:MM:SS`, Jakarta time, optionally `dd/mm/yyyy`) as an instant. The
 * year, when absent, is the one that puts the time closest before the moment we received it.
 */
export function parseBillerDate(date: string | null, receivedAt: Date): string | null {
  if (date === null) return null;
  const m = /^(\d{1,2})[/-](\d{1,2})(?:[/-](\d{4}))?\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$/.exec(date.trim());
  if (!m) return null;
  const [day, month, hour, minute, second] = [m[1], m[2], m[4], m[5], m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const receivedYear = new Date(receivedAt.getTime() + JAKARTA_OFFSET_MS).getUTCFullYear();
  const build = (year: number): Date | null => {
    const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    const valid =
      local.getUTCMonth() === month - 1 && local.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
    return valid ? new Date(local.getTime() - JAKARTA_OFFSET_MS) : null;
  };
  if (m[3] !== undefined) return build(Number(m[3]))?.toISOString() ?? null;
  const oneDay = 24 * 60 * 60 * 1000;
  const thisYear = build(receivedYear);
  // A time stamped on 31/12 and received on 1 January belongs to the year before.
  if (thisYear && thisYear.getTime() <= receivedAt.getTime() + oneDay) return thisYear.toISOString();
  return build(receivedYear - 1)?.toISOString() ?? null;
}
