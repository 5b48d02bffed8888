import { type Command, Option } from 'commander';
import { parseDeliveryQuery, parseRedriveBody } from '../admin/admin-query';
import { toDeliveryView } from '../admin/delivery.view';
import { systemClock } from '../clock';
import * as deliveryRepository from '../delivery/delivery.repository';
import * as redriveService from '../delivery/redrive.service';
import { UnknownSubscriberError } from '../delivery/replay.service';
import {
  CommandFailed,
  TEXT_EXPLAINED,
  UsageError,
  checkedBy,
  examples,
  formatFields,
  formatTable,
  indent,
  pageOf,
  pageOptions,
  parseOptions,
  print,
  printPage,
  queryOf,
  timeRangeOptions,
  withDatabase,
} from './cli-support';

type DeliveryView = ReturnType<typeof toDeliveryView>;

/** A delivery's fields, then its attempts when it has them. */
export function formatDelivery(d: DeliveryView): string {
  const fields = formatFields([
    ['id', d.id],
    ['subscriber', d.subscriber],
    ['eventId', d.eventId],
    ['source', d.source],
    ['reference', d.reference],
    ['state', d.state],
    ['attempts', d.attempts],
    ['nextAttemptAt', d.nextAttemptAt],
    ['lastError', d.lastError],
    ['createdAt', d.createdAt],
    ['deliveredAt', d.deliveredAt],
  ]);
  if (!d.attemptLog) return fields;
  const attempts = d.attemptLog.map((a) => ({
    attempt: String(a.attempt),
    startedAt: a.startedAt,
    outcome: a.outcome,
    status: a.statusCode === null ? '' : String(a.statusCode),
    latencyMs: a.latencyMs === null ? '' : String(a.latencyMs),
    error: a.error ?? '',
  }));
  return `${fields}attempt log:\n${indent(formatTable(attempts, '(no attempts yet)'))}`;
}

export function addDeliveryCommands(program: Command): void {
  const deliveries = examples(program.command('deliveries').description('outbound deliveries of events to subscribers, with their attempts'), [
    'deliveries list --state dead',
    'deliveries show dlv_01KAM2R9T2D4F6H8K0M2P4R6T8',
    'deliveries retry dlv_01KAM2R9T2D4F6H8K0M2P4R6T8',
  ]);

  const list = deliveries
    .command('list')
    .description('list deliveries, newest first')
    .addOption(new Option('--state <state>', 'only deliveries in this state').choices(['pending', 'delivered', 'dead']))
    .addOption(
      new Option('--subscriber <id>', 'only deliveries to this subscriber (its id in the config file)').argParser(
        checkedBy((v) => parseDeliveryQuery({ subscriber: v }), TEXT_EXPLAINED),
      ),
    );
  pageOptions(list, parseDeliveryQuery, 'deliveries');
  examples(list, ['deliveries list --state dead', 'deliveries list --subscriber ledger --state pending --json | jq -r .id']).action(
    (options: Record<string, string | boolean | undefined>, command: Command) => {
      const { filter, limit, after } = parseOptions(command, parseDeliveryQuery, queryOf(options, ['state', 'subscriber', 'limit', 'cursor']));
      return withDatabase(
        async (database) => {
          const page = pageOf(await deliveryRepository.listDeliveries(database.db, filter, limit + 1, after), limit, (row) => row.created_at);
          printPage(
            options.json === true,
            { items: page.items.map((d) => toDeliveryView(d)), nextCursor: page.nextCursor },
            (d) => ({
              id: d.id,
              subscriber: d.subscriber,
              eventId: d.eventId,
              reference: d.reference,
              state: d.state,
              attempts: String(d.attempts),
              lastError: d.lastError ?? '',
            }),
            '(no deliveries)',
          );
        },
        { readOnly: true },
      );
    },
  );

  examples(
    deliveries
      .command('show')
      .argument('<id>', 'the delivery id (dlv_…), as deliveries list prints it')
      .description('one delivery with every attempt: time, HTTP status or error, latency, and the start of the answer')
      .option('--json', 'as the admin API answers GET /admin/deliveries/:id (attempts in attemptLog)'),
    ['deliveries show dlv_01KAM2R9T2D4F6H8K0M2P4R6T8', 'deliveries show dlv_01KAM2R9T2D4F6H8K0M2P4R6T8 --json | jq .attemptLog'],
  ).action((id: string, options: { json?: boolean }) =>
    withDatabase(
      async (database) => {
        const row = await deliveryRepository.findDelivery(database.db, id);
        if (!row) throw new CommandFailed(`no delivery ${id}`);
        const view = toDeliveryView(row, await deliveryRepository.listAttempts(database.db, [row.id]));
        print(options.json, view, formatDelivery(view));
      },
      { readOnly: true },
    ),
  );

  const retry = deliveries
    .command('retry')
    .argument('[id]', 'the id of one dead delivery (dlv_…); without it, every dead delivery the options select')
    .description('try dead deliveries again now: one by id, or in bulk by subscriber and creation time (each keeps its attempts and schedule)')
    .addOption(
      new Option('--subscriber <id>', 'bulk: only this subscriber\'s dead deliveries').argParser(
        checkedBy((v) => parseRedriveBody({ subscriber: v }), TEXT_EXPLAINED),
      ),
    );
  timeRangeOptions(retry, (q) => parseRedriveBody(q));
  retry
    .option('--all', 'bulk: every dead delivery of every configured subscriber; required when no other option is given')
    .option('--dry-run', 'bulk: count what would be retried, change nothing')
    .option('--json', 'the result as JSON: {"id", "state"} for one, {"deliveries", "dryRun"} in bulk');
  examples(retry, [
    'deliveries retry dlv_01KAM2R9T2D4F6H8K0M2P4R6T8',
    'deliveries retry --subscriber ledger --since 2026-11-21T00:00:00Z --dry-run',
    'deliveries retry --all',
  ]).action((id: string | undefined, options: Record<string, string | boolean | undefined>, command: Command) => {
    const bulk = queryOf(options, ['subscriber', 'since', 'until']);
    const all = options.all === true;
    if (id !== undefined) {
      if (Object.keys(bulk).length > 0 || all || options.dryRun === true) throw new UsageError('give a delivery id, or the bulk options, not both');
      return withDatabase(async (database) => {
        const row = await deliveryRepository.findDelivery(database.db, id);
        if (!row) throw new CommandFailed(`no delivery ${id}`);
        if (!(await deliveryRepository.retryDead(database.db, id, systemClock.now().toISOString()))) {
          throw new CommandFailed(`delivery ${id} is ${row.state}, not dead`);
        }
        await database.wakeups?.announceNow();
        print(options.json === true, { id, state: 'pending' }, `delivery ${id} is pending again\n`);
      });
    }
    const { filter, dryRun } = parseOptions(command, parseRedriveBody, { ...bulk, ...(all ? { all: true } : {}), dryRun: options.dryRun === true });
    return withDatabase(async (database, config) => {
      const deliveries = await redriveService
        .retryDeadDeliveries(database.db, systemClock, config.subscribers, filter, {
          dryRun,
          onProgress: (retried) => process.stderr.write(`retried ${retried} deliveries…\n`),
        })
        .catch((error: unknown) => {
          if (error instanceof redriveService.AmbiguousRedriveError) {
            throw new UsageError('give a delivery id, --subscriber, --since or --until, or --all to retry every dead delivery');
          }
          if (error instanceof UnknownSubscriberError) throw new UsageError(`option '--subscriber <id>': ${error.message}`);
          throw error;
        });
      if (!dryRun && deliveries > 0) await database.wakeups?.announceNow();
      print(options.json === true, { deliveries, dryRun }, `${dryRun ? 'would retry' : 'retried'} ${deliveries} dead deliveries\n`);
    });
  });
}
