import { Command, Option } from 'commander';
import { parseEventQuery } from './admin/admin-query';
import { InvalidRequestError } from './admin/admin-errors';
import { ConfigError } from './config/config';
import { loadConfig } from './config/load-config';
import { openDatabase } from './db/connect';
import { migrateToLatest } from './db/migrator';
import * as eventRepository from './events/event.repository';
import { runServer } from './server';

// Exit codes scripts can rely on.
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

const program = new Command()
  .name('receiver')
  .description('Operator commands for the payment callback receiver (same config and database as the server).')
  .showHelpAfterError();

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const config = loadConfig(process.env);
    const database = openDatabase(config.databaseUrl);
    try {
      const applied = await migrateToLatest(database.db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is current\n');
    } finally {
      await database.close();
    }
  });

program.command('serve').description('run the receiver (as npm start does)').action(runServer);

const events = program.command('events').description('canonical events');
events
  .command('list')
  .description('list events, newest first')
  .option('--source <id>')
  .addOption(new Option('--channel <channel>'))
  .option('--reference <reference>')
  .option('--status <status>')
  .option('--since <iso-time>', 'created at or after')
  .option('--until <iso-time>', 'created before')
  .option('--limit <n>', 'at most n events (1-500)', '50')
  .option('--json', 'one JSON object a line, for scripts')
  .action(async (options: Record<string, string | boolean | undefined>) => {
    const { json, ...filters } = options;
    const query = Object.fromEntries(Object.entries(filters).filter(([, v]) => typeof v === 'string'));
    const { filter, limit } = parseEventQuery(query);
    const config = loadConfig(process.env);
    const database = openDatabase(config.databaseUrl);
    try {
      const rows = await eventRepository.listEvents(database.db, filter, limit);
      const items = rows.map(eventRepository.toPaymentEvent);
      if (json) {
        for (const item of items) process.stdout.write(`${JSON.stringify(item)}\n`);
        return;
      }
      const table = items.map((e) => ({
        id: e.id,
        createdAt: e.createdAt,
        source: e.data.source,
        channel: e.data.channel,
        reference: e.data.reference,
        status: e.data.status + (e.data.stale ? ' (stale)' : ''),
        amount: e.data.amount ? `${e.data.amount.value} ${e.data.amount.currency}` : '',
      }));
      process.stdout.write(formatTable(table));
    } finally {
      await database.close();
    }
  });

function formatTable(rows: readonly Record<string, string>[]): string {
  if (rows.length === 0) return '(no events)\n';
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n') + '\n';
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof InvalidRequestError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(`receiver: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(EXIT_FAILURE);
});
