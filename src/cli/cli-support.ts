import { type Command, InvalidArgumentError, Option } from 'commander';
import { InvalidRequestError } from '../admin/admin-errors';
import { encodeCursor } from '../admin/admin-query';
import type { Config } from '../config/config';
import { loadConfig } from '../config/load-config';
import { type DatabaseHandle, openDatabase } from '../db/connect';
import { isCurrent } from '../db/migrator';
import type { PageCursor } from '../events/event.repository';

// Exit codes scripts can rely on: 0 done, 1 failed (or nothing to do where something was asked),
// 2 bad arguments or configuration.
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The command ran and could not do what was asked: exit 1 with the message. */
export class CommandFailed extends Error {}

/** What the operator typed cannot work: exit 2 with the message. */
export class UsageError extends Error {}

export const MAX_LIMIT = 500;

export interface DatabaseUse {
  /**
   * The command only reads: secrets given as `{"env": …}` need not be set, so anyone allowed to
   * look at the data can, without holding every provider's and subscriber's secret.
   */
  readonly readOnly?: boolean;
  /** Refuse a database whose migrations are behind the code (everything but `migrate`). */
  readonly requireCurrent?: boolean;
}

export async function withDatabase<T>(
  run: (database: DatabaseHandle, config: Config) => Promise<T>,
  { readOnly = false, requireCurrent = true }: DatabaseUse = {},
): Promise<T> {
  const config = loadConfig(process.env, { allowMissingSecrets: readOnly });
  const database = openDatabase(config.databaseUrl);
  try {
    if (requireCurrent && !(await isCurrent(database.db))) {
      throw new CommandFailed('the database is not migrated: run `npm run -s cli -- migrate` (or start the server) first');
    }
    return await run(database, config);
  } finally {
    await database.close();
  }
}

/** `--json`: the value as one line; otherwise the human text. Both on stdout. */
export function print(json: boolean | undefined, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : human);
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** One page from rows fetched with `limit + 1`: the extra row only says whether there is more. */
export function pageOf<Row extends { id: string }>(rows: readonly Row[], limit: number, at: (row: Row) => string): Page<Row> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const cursor: PageCursor | undefined = rows.length > limit && last ? { at: at(last), id: last.id } : undefined;
  return { items, nextCursor: cursor ? encodeCursor(cursor) : null };
}

/**
 * A list on stdout (a table, or one JSON object a line), and where the next page starts on stderr,
 * so that a pipe gets only the items.
 */
export function printPage<T>(json: boolean | undefined, page: Page<T>, toRow: (item: T) => Record<string, string>, empty: string): void {
  if (json) {
    for (const item of page.items) process.stdout.write(`${JSON.stringify(item)}\n`);
    if (page.nextCursor) process.stderr.write(`next cursor: ${page.nextCursor}\n`);
    return;
  }
  process.stdout.write(formatTable(page.items.map(toRow), empty));
  if (page.nextCursor) process.stderr.write(`next page: --cursor ${page.nextCursor}\n`);
}

export function formatTable(rows: readonly Record<string, string>[], empty: string): string {
  if (rows.length === 0) return `${empty}\n`;
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n') + '\n';
}

/** `name  value` lines, names aligned; a null or empty value shows as `-`. */
export function formatFields(fields: readonly (readonly [string, string | number | null | undefined])[]): string {
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${value === null || value === undefined || value === '' ? '-' : String(value)}`).join('\n') + '\n';
}

export function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : by + line))
    .join('\n');
}

const INVOCATION = 'npm run -s cli --';

/**
 * The examples block under a command's help; each line is what an operator would type, the
 * invocation added unless the line has it already (inside a variable assignment, say).
 */
export function examples(command: Command, lines: readonly string[]): Command {
  const typed = lines.map((line) => `  $ ${line.includes(INVOCATION) ? line : `${INVOCATION} ${line}`}`);
  return command.addHelpText('after', `\nExamples:\n${typed.join('\n')}\n`);
}

/**
 * An option argument checked by the admin API's own parser, so the CLI and the API accept exactly
 * the same values; commander then names the flag and the value in its complaint, and `explain`
 * says what is allowed (the parser speaks of JSON patterns and formats).
 */
export function checkedBy(check: (value: string) => unknown, explain: string) {
  return (value: string): string => {
    try {
      check(value);
    } catch (error) {
      if (error instanceof InvalidRequestError) throw new InvalidArgumentError(explain);
      throw error;
    }
    return value;
  };
}

type QueryParser = (query: Record<string, string>) => unknown;

export const TIME_EXPLAINED = 'It must be an ISO 8601 time with a zone, e.g. 2026-11-21T00:00:00Z or 2026-11-21T07:00:00+07:00.';
export const TEXT_EXPLAINED = 'It must be 1 to 256 characters.';

/** `--since` and `--until`, checked by the list's parser. */
export function timeRangeOptions(command: Command, parse: QueryParser, field = 'createdAt'): Command {
  return command
    .addOption(new Option('--since <iso-time>', `only those with ${field} at or after this time`).argParser(checkedBy((v) => parse({ since: v }), TIME_EXPLAINED)))
    .addOption(new Option('--until <iso-time>', `only those with ${field} before this time`).argParser(checkedBy((v) => parse({ until: v }), TIME_EXPLAINED)));
}

/** `--limit`, `--cursor` and `--json` of every list. */
export function pageOptions(command: Command, parse: QueryParser, what: string): Command {
  return command
    .addOption(
      new Option('--limit <n>', `at most n ${what} on this page (1-${MAX_LIMIT})`)
        .default('50')
        .argParser(checkedBy((v) => parse({ limit: v }), `It must be a whole number from 1 to ${MAX_LIMIT}.`)),
    )
    .addOption(
      new Option('--cursor <cursor>', 'continue after the previous page: the cursor it printed on stderr').argParser(
        checkedBy((v) => parse({ cursor: v }), 'It is not a cursor this command printed: copy the one after "--cursor" or "next cursor:".'),
      ),
    )
    .option('--json', `one JSON object a line on stdout; when there are more ${what}, "next cursor: <cursor>" on stderr`);
}

/** The options that are set and are query keys, as the admin API would receive them. */
export function queryOf(options: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (typeof options[k] === 'string' ? [[k, options[k] as string]] : [])));
}

/**
 * Runs an admin query parser over the options. The options were checked one by one already, so
 * this only fails on what one option cannot show; the parser's field is turned back into the flag.
 */
export function parseOptions<Q, T>(command: Command, parse: (input: Q) => T, input: Q): T {
  try {
    return parse(input);
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    const [field = '', ...rest] = error.message.split(' ');
    const option = command.options.find((o) => o.attributeName() === field.replace(/^filter\./, ''));
    throw new UsageError(option ? `option '${option.flags}' ${rest.join(' ')}` : error.message);
  }
}

/** A message that starts with a field of the admin API (`customerNumber …`) starts with its flag instead. */
export function withFlag(command: Command, message: string): string {
  const [field = '', ...rest] = message.split(' ');
  const option = command.options.find((o) => o.attributeName() === field);
  return option?.long ? [option.long, ...rest].join(' ') : message;
}

/** For list rows: `1000.00 IDR`, or nothing. */
export function amountText(amount: { value: string; currency: string } | null): string {
  return amount ? `${amount.value} ${amount.currency}` : '';
}
