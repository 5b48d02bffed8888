import { type Command, Option } from 'commander';
import { parseReplayBody } from '../admin/admin-query';
import { systemClock } from '../clock';
import * as replayService from '../delivery/replay.service';
import { UsageError, examples, parseOptions, print, queryOf, withDatabase } from './cli-support';
import { EVENT_FILTER_KEYS, eventFilterOptions } from './events.commands';

export function addReplayCommand(program: Command): void {
  const replay = program
    .command('replay')
    .description(
      'queue the events a filter selects again for their subscribers (new deliveries, the same webhook-id); give at least one filter, or --all',
    );
  eventFilterOptions(replay)
    .option('--all', 'replay every stored event: required when no filter is given, refused with one')
    .addOption(new Option('--subscriber <id...>', 'only these subscribers (each still gets only what its filter takes)'))
    .option('--dry-run', 'count what would be queued, change nothing')
    .option('--json', 'the counts as JSON on stdout: {"events", "deliveries", "dryRun"}');
  examples(replay, [
    'replay --source bank-example --since 2026-11-21T00:00:00Z --until 2026-11-22T00:00:00Z --subscriber ledger --dry-run',
    'replay --reference 2020102900000000000001',
    'replay --all --subscriber ledger --dry-run',
  ]).action((options: Record<string, string | string[] | boolean | undefined>, command: Command) => {
    const filter = queryOf(options, EVENT_FILTER_KEYS);
    const all = options.all === true;
    const filtered = Object.keys(filter).length > 0;
    if (!all && !filtered) {
      throw new UsageError(`replay needs a filter (${EVENT_FILTER_KEYS.map((k) => `--${k}`).join(', ')}), or --all to replay every event`);
    }
    if (all && filtered) throw new UsageError('--all replays every event: give it without a filter');
    // The API's own body parser, so the CLI and POST /admin/replay accept exactly the same.
    const { filter: parsed, subscriberIds, dryRun } = parseOptions(command, parseReplayBody, {
      ...(filtered ? { filter } : { all: true }),
      ...(options.subscriber === undefined ? {} : { subscribers: options.subscriber }),
      dryRun: options.dryRun === true,
    });
    return withDatabase(async (database, config) => {
      const counts = await replayService
        .replayEvents(database.db, systemClock, config.subscribers, parsed, {
          subscriberIds,
          dryRun,
          onProgress: (c) => process.stderr.write(`${dryRun ? 'counted' : 'queued'} ${c.deliveries} deliveries for ${c.events} events…\n`),
        })
        .catch((error: unknown) => {
          if (error instanceof replayService.UnknownSubscriberError) throw new UsageError(`option '--subscriber <id...>': ${error.message}`);
          throw error;
        });
      if (!dryRun && counts.deliveries > 0) await database.wakeups?.announceNow();
      const verb = dryRun ? 'would queue' : 'queued';
      print(options.json === true, { ...counts, dryRun }, `${verb} ${counts.deliveries} deliveries for ${counts.events} events\n`);
    });
  });
}
