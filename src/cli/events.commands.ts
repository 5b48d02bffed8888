import { type Command, Option } from 'commander';
import { parseEventQuery } from '../admin/admin-query';
import { toDeliveryView } from '../admin/delivery.view';
import { toInboundView } from '../admin/inbound.view';
import { CHANNELS, type PaymentEvent, STATUSES } from '../events/event';
import * as eventRepository from '../events/event.repository';
import * as transactionRepository from '../events/transaction.repository';
import * as deliveryRepository from '../delivery/delivery.repository';
import * as inboundRepository from '../ingress/inbound.repository';
import {
  CommandFailed,
  TEXT_EXPLAINED,
  amountText,
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
import { formatDelivery } from './deliveries.commands';

export const EVENT_FILTER_KEYS = ['source', 'channel', 'reference', 'status', 'since', 'until'] as const;

/** The events filter options, shared by `events list` and `replay`. */
export function eventFilterOptions(command: Command): Command {
  const text = (field: string) => checkedBy((v) => parseEventQuery({ [field]: v }), TEXT_EXPLAINED);
  command
    .addOption(new Option('--source <id>', 'only events from this source (its id in the config file)').argParser(text('source')))
    .addOption(new Option('--channel <channel>', 'only events that came in on this channel').choices(CHANNELS))
    .addOption(new Option('--reference <reference>', "only this transaction's events (our reference, e.g. a refid or partnerReferenceNo)").argParser(text('reference')))
    .addOption(new Option('--status <status>', 'only events with this canonical status').choices(STATUSES));
  return timeRangeOptions(command, parseEventQuery);
}

function statusText(event: PaymentEvent): string {
  return event.data.status + (event.data.stale ? ' (stale)' : '') + (event.data.reversal ? ' (reversal)' : '');
}

function eventRow(e: PaymentEvent): Record<string, string> {
  return {
    id: e.id,
    createdAt: e.createdAt,
    source: e.data.source,
    channel: e.data.channel,
    reference: e.data.reference,
    status: statusText(e),
    amount: amountText(e.data.amount),
  };
}

export function addEventCommands(program: Command): void {
  const events = examples(program.command('events').description('canonical events: one per status a provider reported'), [
    'events list --status FAILED --since 2026-11-21T00:00:00Z',
    'events show evt_01KAM2R9T2D4F6H8K0M2P4R6T8',
  ]);

  const list = events.command('list').description('list events, newest first');
  eventFilterOptions(list);
  pageOptions(list, parseEventQuery, 'events');
  examples(list, [
    'events list --status FAILED --since 2026-11-21T00:00:00Z',
    'events list --reference TRX-0001 --json | jq .data.status',
    'events list --limit 100 --cursor <the cursor the previous page printed>',
  ]).action((options: Record<string, string | boolean | undefined>, command: Command) => {
    const { filter, limit, after } = parseOptions(command, parseEventQuery, queryOf(options, [...EVENT_FILTER_KEYS, 'limit', 'cursor']));
    return withDatabase(
      async (database) => {
        const page = pageOf(await eventRepository.listEvents(database.db, filter, limit + 1, after), limit, (row) => row.created_at);
        printPage(options.json === true, { items: page.items.map(eventRepository.toPaymentEvent), nextCursor: page.nextCursor }, eventRow, '(no events)');
      },
      { readOnly: true },
    );
  });

  examples(
    events
      .command('show')
      .argument('<id>', 'the event id (evt_…), as events list prints it')
      .description('one event with the inbound request it came from, and every delivery of it with its attempts')
      .option('--json', 'as the admin API answers GET /admin/events/:id: {event, inbound, deliveries}'),
    ['events show evt_01KAM2R9T2D4F6H8K0M2P4R6T8', 'events show evt_01KAM2R9T2D4F6H8K0M2P4R6T8 --json | jq .deliveries'],
  ).action((id: string, options: { json?: boolean }) =>
    withDatabase(
      async (database) => {
        const row = await eventRepository.findEvent(database.db, id);
        if (!row) throw new CommandFailed(`no event ${id}`);
        const inboundRow = row.inbound_id ? await inboundRepository.findInbound(database.db, row.inbound_id) : undefined;
        const deliveryRows = await deliveryRepository.listForEvent(database.db, row.id);
        const attempts = await deliveryRepository.listAttempts(database.db, deliveryRows.map((d) => d.id));
        const event = eventRepository.toPaymentEvent(row);
        const inbound = inboundRow ? toInboundView(inboundRow) : null;
        const deliveries = deliveryRows.map((d) => toDeliveryView(d, attempts.filter((a) => a.delivery_id === d.id)));
        print(options.json, { event, inbound, deliveries }, [
          formatFields([
            ['id', event.id],
            ['createdAt', event.createdAt],
            ['source', event.data.source],
            ['channel', event.data.channel],
            ['reference', event.data.reference],
            ['status', statusText(event)],
            ['providerStatus', event.data.providerStatus],
            ['providerReference', event.data.providerReference],
            ['amount', amountText(event.data.amount)],
            ['occurredAt', event.data.occurredAt],
            ['receivedAt', event.data.receivedAt],
            ['details', JSON.stringify(event.data.details)],
            ['inbound', inbound ? `${inbound.id} (${inbound.outcome}, answered ${inbound.response.status}, ${inbound.method} ${inbound.url})` : row.inbound_id ? `${row.inbound_id} (removed by retention)` : null],
          ]),
          `\ndeliveries:\n`,
          deliveries.length === 0 ? '  (none)\n' : deliveries.map((d) => indent(formatDelivery(d))).join('\n'),
        ].join(''));
      },
      { readOnly: true },
    ),
  );

  const transactions = examples(program.command('transactions').description('the current status of a transaction and the events that led to it'), [
    'transactions show biller-example TRX-0001',
  ]);
  examples(
    transactions
      .command('show')
      .argument('<source>', 'the source id in the config file')
      .argument('<reference>', 'our reference of the transaction (a refid, partnerReferenceNo, invoice)')
      .description("a transaction's current status and its events, oldest first")
      .option('--json', 'as the admin API answers GET /admin/transactions/:source/:reference'),
    ['transactions show biller-example TRX-0001', 'transactions show bank-example 2020102900000000000001 --json | jq .status'],
  ).action((source: string, reference: string, options: { json?: boolean }) =>
    withDatabase(
      async (database) => {
        const transaction = await transactionRepository.findTransaction(database.db, source, reference);
        if (!transaction) throw new CommandFailed(`no transaction ${reference} from ${source}`);
        const events = (await eventRepository.listTransactionEvents(database.db, source, reference)).map(eventRepository.toPaymentEvent);
        const view = {
          source: transaction.source_id,
          reference: transaction.reference,
          channel: transaction.channel,
          status: transaction.status,
          statusEventId: transaction.status_event_id,
          createdAt: transaction.created_at,
          updatedAt: transaction.updated_at,
          events,
        };
        print(options.json, view, [
          formatFields([
            ['source', view.source],
            ['reference', view.reference],
            ['channel', view.channel],
            ['status', view.status],
            ['set by', view.statusEventId],
            ['createdAt', view.createdAt],
            ['updatedAt', view.updatedAt],
          ]),
          '\nevents, oldest first:\n',
          indent(formatTable(events.map(eventRow), '(none)')),
        ].join(''));
      },
      { readOnly: true },
    ),
  );
}
