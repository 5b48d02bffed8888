import { type Command, Option } from 'commander';
import { parseInboundQuery } from '../admin/admin-query';
import { toInboundView } from '../admin/inbound.view';
import { systemClock } from '../clock';
import * as inboundRepository from '../ingress/inbound.repository';
import * as reprocessService from '../ingress/reprocess.service';
import {
  CommandFailed,
  TEXT_EXPLAINED,
  checkedBy,
  examples,
  formatFields,
  pageOf,
  pageOptions,
  parseOptions,
  print,
  printPage,
  queryOf,
  timeRangeOptions,
  withDatabase,
} from './cli-support';

type InboundView = ReturnType<typeof toInboundView>;

function formatInbound(r: InboundView): string {
  return formatFields([
    ['id', r.id],
    ['receivedAt', r.receivedAt],
    ['source', r.source],
    ['channel', r.channel],
    ['clientIp', r.clientIp],
    ['request', `${r.method} ${r.url}`],
    ['requestId', r.requestId],
    ['headers', JSON.stringify(r.headers)],
    ['body', r.body],
    ['outcome', r.outcome],
    ['reason', r.reason],
    ['signature', r.signature ? `${r.signature.form} ${r.signature.path ?? ''}`.trim() : null],
    ['answer', `${r.response.status} ${r.response.body ?? ''}`.trim()],
  ]);
}

export function addInboundCommands(program: Command): void {
  const inbound = examples(program.command('inbound').description('raw provider requests as received, refused ones too, with our answer'), [
    'inbound list --outcome rejected --since 2026-11-21T00:00:00Z',
    'inbound show inb_01KAM2R9T2D4F6H8K0M2P4R6T8',
  ]);

  const list = inbound
    .command('list')
    .description('list inbound records, newest first')
    .addOption(
      new Option('--source <id>', 'only requests naming this source (its id in the config file)').argParser(
        checkedBy((v) => parseInboundQuery({ source: v }), TEXT_EXPLAINED),
      ),
    )
    .addOption(new Option('--outcome <outcome>', 'only requests that ended so').choices(['accepted', 'duplicate', 'rejected']));
  timeRangeOptions(list, parseInboundQuery, 'receivedAt');
  pageOptions(list, parseInboundQuery, 'records');
  examples(list, [
    'inbound list --outcome rejected --since 2026-11-21T00:00:00Z',
    'inbound list --source biller-example --json | jq -r .reason',
  ]).action((options: Record<string, string | boolean | undefined>, command: Command) => {
    const { filter, limit, after } = parseOptions(command, parseInboundQuery, queryOf(options, ['source', 'outcome', 'since', 'until', 'limit', 'cursor']));
    return withDatabase(
      async (database) => {
        const page = pageOf(await inboundRepository.listInbound(database.db, filter, limit + 1, after), limit, (row) => row.received_at);
        printPage(
          options.json === true,
          { items: page.items.map(toInboundView), nextCursor: page.nextCursor },
          (r) => ({
            id: r.id,
            receivedAt: r.receivedAt,
            source: r.source ?? '',
            channel: r.channel ?? '',
            outcome: r.outcome,
            answer: String(r.response.status),
            reason: r.reason ?? '',
          }),
          '(no inbound records)',
        );
      },
      { readOnly: true },
    );
  });

  examples(
    inbound
      .command('show')
      .argument('<id>', 'the inbound record id (inb_…), as inbound list prints it')
      .description('one inbound record: the request as stored (secrets redacted), its outcome, and our answer')
      .option('--json', 'as the admin API answers GET /admin/inbound/:id'),
    ['inbound show inb_01KAM2R9T2D4F6H8K0M2P4R6T8'],
  ).action((id: string, options: { json?: boolean }) =>
    withDatabase(
      async (database) => {
        const row = await inboundRepository.findInbound(database.db, id);
        if (!row) throw new CommandFailed(`no inbound record ${id}`);
        const view = toInboundView(row);
        print(options.json, view, formatInbound(view));
      },
      { readOnly: true },
    ),
  );

  examples(
    program
      .command('reprocess')
      .argument('<inboundId>', 'the id of an accepted inbound record (inb_…)')
      .description(
        "re-derive the events of a stored request with today's parsers (after a parser fix); events it already made are duplicates, so running it twice changes nothing the second time",
      )
      .option('--json', 'as the admin API answers POST /admin/inbound/:id/reprocess: {events, duplicateOf}'),
    ['reprocess inb_01KAM2R9T2D4F6H8K0M2P4R6T8'],
  ).action((inboundId: string, options: { json?: boolean }) =>
    withDatabase(async (database, config) => {
      let result;
      try {
        result = await reprocessService.reprocessInbound(database.db, { clock: systemClock, subscribers: config.subscribers }, config, inboundId);
      } catch (error) {
        if (error instanceof reprocessService.NotReprocessableError) throw new CommandFailed(error.message);
        throw error;
      }
      if (!result) throw new CommandFailed(`no inbound record ${inboundId}`);
      // A parser fix can reveal a reversal nobody was told about: say so where the operator looks.
      for (const { eventId, report, from } of result.reversals) {
        process.stderr.write(`reversal: ${report.source} ${report.reference} went from ${from} to ${report.status} (${eventId}): the customer must be refunded\n`);
      }
      const events = result.createdEventIds;
      const duplicates = result.duplicateOf;
      print(
        options.json,
        { events, duplicateOf: duplicates },
        [
          events.length > 0 ? `new events: ${events.join(', ')}` : 'no new events',
          ...(duplicates.length > 0 ? [`already recorded: ${duplicates.join(', ')}`] : []),
        ].join('\n') + '\n',
      );
    }),
  );
}
