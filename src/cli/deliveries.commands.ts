import { type Command, Option } from 'commander';
import { parseDeliveryQuery } from '../admin/admin-query';
import { toDeliveryView } from '../admin/delivery.view';
import { systemClock } from '../clock';
import * as deliveryRepository from '../delivery/delivery.repository';
import { CommandFailed, TEXT_EXPLAINED, checkedBy, examples, formatFields, formatTable, indent, pageOf, pageOptions, parseOptions, print, printPage, queryOf, withDatabase } from './cli-support';

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

  examples(
    deliveries
      .command('retry')
      .argument('<id>', 'the id of a dead delivery (dlv_…)')
      .description('try a dead delivery again now (one more attempt; if it fails it is dead again)')
      .option('--json', 'the result as JSON: {"id", "state": "pending"}'),
    ['deliveries retry dlv_01KAM2R9T2D4F6H8K0M2P4R6T8'],
  ).action((id: string, options: { json?: boolean }) =>
    withDatabase(async (database) => {
      const row = await deliveryRepository.findDelivery(database.db, id);
      if (!row) throw new CommandFailed(`no delivery ${id}`);
      if (!(await deliveryRepository.retryDead(database.db, id, systemClock.now().toISOString()))) {
        throw new CommandFailed(`delivery ${id} is ${row.state}, not dead`);
      }
      print(options.json, { id, state: 'pending' }, `delivery ${id} is pending again\n`);
    }),
  );
}
