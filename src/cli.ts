import { Command, Option } from 'commander';
import { InvalidRequestError } from './admin/admin-errors';
import { parseDeliveryQuery, parseEventQuery, parseWatchBody, parseWatchQuery } from './admin/admin-query';
import { toDeliveryView } from './admin/delivery.view';
import { systemClock } from './clock';
import { type Config, ConfigError } from './config/config';
import { loadConfig } from './config/load-config';
import { type DatabaseHandle, openDatabase } from './db/connect';
import { isCurrent, migrateToLatest } from './db/migrator';
import * as deliveryRepository from './delivery/delivery.repository';
import * as replayService from './delivery/replay.service';
import { CHANNELS } from './events/event';
import * as eventRepository from './events/event.repository';
import * as watchRepository from './polling/watch.repository';
import { WatchConflictError, WatchRequestError, registerWatch, toWatchView } from './polling/watch.service';
import { WATCH_STATES } from './polling/watch.table';
import { runServer } from './server';

// Exit codes scripts can rely on: 0 done, 1 failed (or nothing to do where something was asked),
// 2 bad arguments or configuration.
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

class CommandFailed extends Error {}

async function withDatabase<T>(
  run: (database: DatabaseHandle, config: Config) => Promise<T>,
  { requireCurrent = true } = {},
): Promise<T> {
  const config = loadConfig(process.env);
  const database = openDatabase(config.databaseUrl);
  try {
    if (requireCurrent && !(await isCurrent(database.db))) {
      throw new CommandFailed('the database is not migrated: run `npm run cli -- migrate` (or start the server) first');
    }
    return await run(database, config);
  } finally {
    await database.close();
  }
}

function print(json: boolean | undefined, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : human);
}

/** The events filter options, shared by `events list` and `replay`. */
function withEventFilters(command: Command): Command {
  return command
    .option('--source <id>')
    .option('--channel <channel>', CHANNELS.join(', '))
    .option('--reference <reference>')
    .option('--status <status>')
    .option('--since <iso-time>', 'created at or after')
    .option('--until <iso-time>', 'created before');
}

function filterQuery(options: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (typeof options[k] === 'string' ? [[k, options[k] as string]] : [])));
}

const EVENT_FILTER_KEYS = ['source', 'channel', 'reference', 'status', 'since', 'until'];

const program = new Command()
  .name('receiver')
  .description('Operator commands for the payment callback receiver (same config and database as the server).')
  .showHelpAfterError()
  .exitOverride();

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(() =>
    withDatabase(async (database) => {
      const applied = await migrateToLatest(database.db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is current\n');
    }, { requireCurrent: false }),
  );

program.command('serve').description('run the receiver (as npm start does)').action(runServer);

const events = program.command('events').description('canonical events');
withEventFilters(events.command('list').description('list events, newest first'))
  .option('--limit <n>', 'at most n events (1-500)', '50')
  .option('--json', 'one JSON event a line, for scripts')
  .action((options: Record<string, string | boolean | undefined>) => {
    const { filter, limit } = parseEventQuery(filterQuery(options, [...EVENT_FILTER_KEYS, 'limit']));
    return withDatabase(async (database) => {
      const items = (await eventRepository.listEvents(database.db, filter, limit)).map(eventRepository.toPaymentEvent);
      if (options.json) {
        for (const item of items) process.stdout.write(`${JSON.stringify(item)}\n`);
        return;
      }
      process.stdout.write(
        formatTable(
          items.map((e) => ({
            id: e.id,
            createdAt: e.createdAt,
            source: e.data.source,
            channel: e.data.channel,
            reference: e.data.reference,
            status: e.data.status + (e.data.stale ? ' (stale)' : '') + (e.data.reversal ? ' (reversal)' : ''),
            amount: e.data.amount ? `${e.data.amount.value} ${e.data.amount.currency}` : '',
          })),
          '(no events)',
        ),
      );
    });
  });

withEventFilters(program.command('replay').description('queue matching events again for their subscribers'))
  .addOption(new Option('--subscriber <id...>', 'only these subscribers (each still gets only what its filter takes)'))
  .option('--dry-run', 'count what would be queued, change nothing')
  .option('--json', 'the counts as JSON')
  .action((options: Record<string, string | string[] | boolean | undefined>) => {
    const { filter } = parseEventQuery(filterQuery(options, EVENT_FILTER_KEYS));
    const subscriberIds = options.subscriber as string[] | undefined;
    const dryRun = options.dryRun === true;
    return withDatabase(async (database, config) => {
      const counts = await replayService
        .replayEvents(database.db, systemClock, config.subscribers, filter, {
          subscriberIds,
          dryRun,
          onProgress: (c) => process.stderr.write(`${dryRun ? 'counted' : 'queued'} ${c.deliveries} deliveries for ${c.events} events…\n`),
        })
        .catch((error: unknown) => {
          if (error instanceof replayService.UnknownSubscriberError) throw new InvalidRequestError(error.message);
          throw error;
        });
      const verb = dryRun ? 'would queue' : 'queued';
      print(options.json as boolean | undefined, { ...counts, dryRun }, `${verb} ${counts.deliveries} deliveries for ${counts.events} events\n`);
    });
  });

const deliveries = program.command('deliveries').description('outbound deliveries');
deliveries
  .command('list')
  .description('list deliveries, newest first')
  .addOption(new Option('--state <state>').choices(['pending', 'delivered', 'dead']))
  .option('--subscriber <id>')
  .option('--limit <n>', 'at most n deliveries (1-500)', '50')
  .option('--json', 'one JSON delivery a line')
  .action((options: Record<string, string | boolean | undefined>) => {
    const { filter, limit } = parseDeliveryQuery(filterQuery(options, ['state', 'subscriber', 'limit']));
    return withDatabase(async (database) => {
      const items = (await deliveryRepository.listDeliveries(database.db, filter, limit)).map((d) => toDeliveryView(d));
      if (options.json) {
        for (const item of items) process.stdout.write(`${JSON.stringify(item)}\n`);
        return;
      }
      process.stdout.write(
        formatTable(
          items.map((d) => ({
            id: d.id,
            subscriber: d.subscriber,
            eventId: d.eventId,
            reference: d.reference,
            state: d.state,
            attempts: String(d.attempts),
            lastError: d.lastError ?? '',
          })),
          '(no deliveries)',
        ),
      );
    });
  });

deliveries
  .command('retry <id>')
  .description('try a dead delivery again now')
  .option('--json', 'the result as JSON')
  .action((id: string, options: { json?: boolean }) =>
    withDatabase(async (database) => {
      const row = await deliveryRepository.findDelivery(database.db, id);
      if (!row) throw new CommandFailed(`no delivery ${id}`);
      if (!(await deliveryRepository.retryDead(database.db, id, systemClock.now().toISOString()))) {
        throw new CommandFailed(`delivery ${id} is ${row.state}, not dead`);
      }
      print(options.json, { id, state: 'pending' }, `delivery ${id} is pending again\n`);
    }),
  );

const watch = program.command('watch').description('watches on pull-only providers (MMBC): polled until their status is final');
watch
  .command('add')
  .description('start polling a transaction (answers the existing watch for the same source and invoice)')
  .requiredOption('--source <id>', 'an mmbc-multipayment or mmbc-ppob source')
  .requiredOption('--invoice <invoice>', 'the invoice MMBC answered the purchase with')
  .option('--customer-number <number>', 'ppob_nomorpelanggan (PPOB sources only; required there)')
  .option('--json', 'the watch as JSON')
  .action((options: { source: string; invoice: string; customerNumber?: string; json?: boolean }) => {
    const body = parseWatchBody({
      source: options.source,
      invoice: options.invoice,
      ...(options.customerNumber === undefined ? {} : { customerNumber: options.customerNumber }),
    });
    return withDatabase(async (database, config) => {
      const { created, watch: row } = await registerWatch(database.db, config, systemClock, body).catch((error: unknown) => {
        if (error instanceof WatchRequestError) throw new InvalidRequestError(error.message);
        if (error instanceof WatchConflictError) throw new CommandFailed(error.message);
        throw error;
      });
      const view = toWatchView(row);
      print(options.json, view, `${created ? 'watching' : 'already watched'}: ${view.id} (${view.state}, first poll at ${view.nextPollAt ?? '-'})\n`);
    });
  });

watch
  .command('list')
  .description('list watches, newest first')
  .option('--source <id>')
  .addOption(new Option('--state <state>').choices([...WATCH_STATES]))
  .option('--limit <n>', 'at most n watches (1-500)', '50')
  .option('--json', 'one JSON watch a line')
  .action((options: Record<string, string | boolean | undefined>) => {
    const { filter, limit } = parseWatchQuery(filterQuery(options, ['source', 'state', 'limit']));
    return withDatabase(async (database) => {
      const items = (await watchRepository.listWatches(database.db, filter, limit)).map(toWatchView);
      if (options.json) {
        for (const item of items) process.stdout.write(`${JSON.stringify(item)}\n`);
        return;
      }
      process.stdout.write(
        formatTable(
          items.map((w) => ({
            id: w.id,
            source: w.source,
            invoice: w.invoice,
            state: w.state,
            polls: String(w.pollCount),
            lastOutcome: w.lastOutcome ?? '',
            nextPollAt: w.nextPollAt ?? '',
            deadlineAt: w.deadlineAt,
          })),
          '(no watches)',
        ),
      );
    });
  });

watch
  .command('cancel <id>')
  .description('stop polling an active watch')
  .option('--json', 'the watch as JSON')
  .action((id: string, options: { json?: boolean }) =>
    withDatabase(async (database) => {
      const row = await watchRepository.findWatch(database.db, id);
      if (!row) throw new CommandFailed(`no watch ${id}`);
      if (row.state === 'active') await watchRepository.cancelWatch(database.db, id, systemClock.now().toISOString());
      const after = (await watchRepository.findWatch(database.db, id)) ?? row;
      if (after.state !== 'canceled') throw new CommandFailed(`watch ${id} is ${after.state}: only an active watch can be canceled`);
      print(options.json, toWatchView(after), `watch ${id} is ${after.state}\n`);
    }),
  );

function formatTable(rows: readonly Record<string, string>[], empty: string): string {
  if (rows.length === 0) return `${empty}\n`;
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n') + '\n';
}

program.parseAsync(process.argv).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    // commander has printed the help or the complaint already.
    process.exit(code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : EXIT_USAGE);
  }
  if (error instanceof ConfigError || error instanceof InvalidRequestError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(`receiver: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(EXIT_FAILURE);
});
