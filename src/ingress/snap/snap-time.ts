const JAKARTA_OFFSET_MS = 7 * 60 * 60 * 1000;

// ISO-8601 with an explicit, real offset (`Z` or ±hh:mm, hours 00–14, minutes 00–59), fractional
// seconds allowed.
const X_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](?:0\d|1[0-4]):[0-5]\d)$/;

/** Milliseconds since the epoch, or null when the header is not in the SNAP format. */
export function parseXTimestamp(value: string): number | null {
  const m = X_TIMESTAMP.exec(value);
  if (!m) return null;
  const [, year, month, day, hour, minute, second, fraction = '', offset = 'Z'] = m;
  const local = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  const check = new Date(local);
  if (
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59
  ) {
    return null;
  }
  const offsetMs =
    offset === 'Z' ? 0 : (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
  return local + Number(fraction.padEnd(3, '0').slice(0, 3)) - offsetMs;
}

/** `2026-11-22T10:00:00+07:00`: how SNAP answers carry our time in X-TIMESTAMP. */
export function jakartaTimestamp(now: Date): string {
  return `${new Date(now.getTime() + JAKARTA_OFFSET_MS).toISOString().slice(0, 19)}+07:00`;
}

/** The calendar day in Jakarta, `YYYY-MM-DD`. */
export function jakartaDay(now: Date): string {
  return new Date(now.getTime() + JAKARTA_OFFSET_MS).toISOString().slice(0, 10);
}
