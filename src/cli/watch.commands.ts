import { type Command, Option } from 'commander';
import { parseWatchBody, parseWatchQuery } from '../admin/admin-query';
import { systemClock } from '../clock';
import * as watchRepository from '../polling/watch.repository';
import { WatchConflictError, WatchRequestError, registerWatch, toWatchView } from '../polling/watch.service';
import { WATCH_STATES } from '../polling/watch.table';
import {
  CommandFailed,
  TEXT_EXPLAINED,
  UsageError,
  checkedBy,
  examples,
  pageOf,
  pageOptions,
  parseOptions,
  print,
  printPage,
  queryOf,
  withDatabase,
  withFlag,
} from './cli-support';

const VISIBLE_EXPLAINED = 'It must be 1 to 64 visible ASCII characters, without spaces.';

export function addWatchCommands(program: Command): void {
  const watch = examples(program.command('watch').description('watches on pull-only providers (MMBC): polled until their status is final'), [
    'watch add --source mmbc-reload --invoice 123456789',
    'watch list --state active',
    'watch cancel wch_01KAM2R9T2D4F6H8K0M2P4R6T8',
  ]);

  examples(
    watch
      .command('add')
      .description('start polling a transaction (answers the existing watch for the same source and invoice)')
      .addOption(
        new Option('--source <id>', 'an mmbc-multipayment or mmbc-ppob source (its id in the config file)')
          .makeOptionMandatory()
          .argParser(checkedBy((v) => parseWatchBody({ source: v, invoice: 'x' }), TEXT_EXPLAINED)),
      )
      .addOption(
        new Option('--invoice <invoice>', 'the invoice MMBC answered the purchase with')
          .makeOptionMandatory()
          .argParser(checkedBy((v) => parseWatchBody({ source: 'x', invoice: v }), VISIBLE_EXPLAINED)),
      )
      .addOption(
        new Option('--customer-number <number>', 'ppob_nomorpelanggan (PPOB sources only; required there)').argParser(
          checkedBy((v) => parseWatchBody({ source: 'x', invoice: 'x', customerNumber: v }), VISIBLE_EXPLAINED),
        ),
      )
      .option('--json', 'the watch as JSON, as the admin API answers POST /admin/watches'),
    ['watch add --source mmbc-reload --invoice 123456789', 'watch add --source mmbc-ppob --invoice 2611220001 --customer-number 512345678901'],
  ).action((options: { source: string; invoice: string; customerNumber?: string; json?: boolean }, command: Command) => {
    const body = parseOptions(command, parseWatchBody, {
      source: options.source,
      invoice: options.invoice,
      ...(options.customerNumber === undefined ? {} : { customerNumber: options.customerNumber }),
    });
    return withDatabase(async (database, config) => {
      const { created, watch: row } = await registerWatch(database.db, config, systemClock, body).catch((error: unknown) => {
        if (error instanceof WatchRequestError) throw new UsageError(withFlag(command, error.message));
        if (error instanceof WatchConflictError) throw new CommandFailed(error.message);
        throw error;
      });
      const view = toWatchView(row);
      print(options.json, view, `${created ? 'watching' : 'already watched'}: ${view.id} (${view.state}, first poll at ${view.nextPollAt ?? '-'})\n`);
    });
  });

  const list = watch
    .command('list')
    .description('list watches, newest first')
    .addOption(new Option('--source <id>', 'only watches on this source').argParser(checkedBy((v) => parseWatchQuery({ source: v }), TEXT_EXPLAINED)))
    .addOption(new Option('--state <state>', 'only watches in this state').choices([...WATCH_STATES]));
  pageOptions(list, parseWatchQuery, 'watches');
  examples(list, ['watch list --state active', 'watch list --source mmbc-ppob --state expired --json | jq -r .invoice']).action(
    (options: Record<string, string | boolean | undefined>, command: Command) => {
      const { filter, limit, after } = parseOptions(command, parseWatchQuery, queryOf(options, ['source', 'state', 'limit', 'cursor']));
      return withDatabase(
        async (database) => {
          const page = pageOf(await watchRepository.listWatches(database.db, filter, limit + 1, after), limit, (row) => row.created_at);
          printPage(
            options.json === true,
            { items: page.items.map(toWatchView), nextCursor: page.nextCursor },
            (w) => ({
              id: w.id,
              source: w.source,
              invoice: w.invoice,
              state: w.state,
              polls: String(w.pollCount),
              lastOutcome: w.lastOutcome ?? '',
              nextPollAt: w.nextPollAt ?? '',
              deadlineAt: w.deadlineAt,
            }),
            '(no watches)',
          );
        },
        { readOnly: true },
      );
    },
  );

  examples(
    watch
      .command('cancel')
      .argument('<id>', 'the watch id (wch_…), as watch list prints it')
      .description('stop polling an active watch')
      .option('--json', 'the watch as JSON, as the admin API answers DELETE /admin/watches/:id'),
    ['watch cancel wch_01KAM2R9T2D4F6H8K0M2P4R6T8'],
  ).action((id: string, options: { json?: boolean }) =>
    withDatabase(async (database) => {
      const row = await watchRepository.findWatch(database.db, id);
      if (!row) throw new CommandFailed(`no watch ${id}`);
      if (row.state === 'active') await watchRepository.cancelWatch(database.db, id, systemClock.now().toISOString());
      const after = (await watchRepository.findWatch(database.db, id)) ?? row;
      if (after.state !== 'canceled') throw new CommandFailed(`watch ${id} is ${after.state}: only an active watch can be canceled`);
      print(options.json, toWatchView(after), `watch ${id} is ${after.state}\n`);
    }),
  );
}
