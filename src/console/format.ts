/** How the console writes times, amounts and addresses; the templates escape what these return. */

/** `2026-11-22 10:00:00` (UTC, which every page says). */
export function time(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

/** `IDR 201,200.00`: grouped by hand, because the stored value is a decimal string, never a float. */
export function amount(value: string | null, currency: string | null): string {
  if (value === null) return '';
  const [whole = '', cents] = value.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency ?? ''} ${grouped}${cents === undefined ? '' : `.${cents}`}`.trim();
}

/** `4 min`, `2 h 5 min`, `3 d 4 h`: how long ago, for a reader at 3 a.m. */
export function age(iso: string | null | undefined, now: Date): string {
  if (!iso) return '';
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** At most `max` characters, with an ellipsis when cut. */
export function cut(text: string | null | undefined, max: number): string {
  if (!text) return '';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** JSON shown to a person: indented when it parses, as it is otherwise. */
export function prettyJson(text: string | null): string {
  if (text === null) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * A time the operator typed in a search field: `2026-11-22`, `2026-11-22 10:00`,
 * `2026-11-22T10:00:00Z`, `…+07:00`. Without an offset it is UTC, as the pages show times.
 * Answers the ISO-8601 UTC form, or undefined when it is not a time.
 */
export function parseTypedTime(typed: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?)?$/.exec(typed.trim());
  if (!match) return undefined;
  const [, day, clock, offset] = match;
  const date = new Date(`${day}T${clock ?? '00:00:00'}${offset ?? 'Z'}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
