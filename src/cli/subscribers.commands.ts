import type { Command } from 'commander';
import { toSubscriberView } from '../admin/subscriber.view';
import { systemClock } from '../clock';
import { UnknownSubscriberError } from '../delivery/replay.service';
import * as subscriberService from '../delivery/subscriber.service';
import { sendTestEvent } from '../delivery/test-event';
import { UsageError, examples, formatTable, print, withDatabase } from './cli-support';

type SubscriberView = ReturnType<typeof toSubscriberView>;

function row(s: SubscriberView): Record<string, string> {
  return {
    id: s.id,
    url: s.url,
    paused: s.paused ? `since ${s.pausedAt ?? '?'}` : 'no',
    pending: String(s.pending),
    dead: String(s.dead),
    oldestPendingAt: s.oldestPendingAt ?? '',
  };
}

/** A subscriber the configuration does not have is the operator's typo: exit 2 naming it. */
function known<T>(work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    if (error instanceof UnknownSubscriberError) throw new UsageError(error.message);
    throw error;
  });
}

export function addSubscriberCommands(program: Command): void {
  const subscribers = examples(program.command('subscribers').description('the configured subscribers: health, pause and resume, a test event'), [
    'subscribers list',
    'subscribers pause ledger',
    'subscribers test ledger',
  ]);

  examples(
    subscribers
      .command('list')
      .description('every configured subscriber: paused or not, pending and dead deliveries, the oldest pending one (URLs without credentials)')
      .option('--json', 'one JSON subscriber a line, as GET /admin/subscribers lists them'),
    ['subscribers list', 'subscribers list --json | jq "select(.dead > 0) | .id"'],
  ).action((options: { json?: boolean }) =>
    withDatabase(
      async (database, config) => {
        const views = (await subscriberService.subscriberStatuses(database.db, config.subscribers)).map(toSubscriberView);
        if (options.json) {
          for (const view of views) process.stdout.write(`${JSON.stringify(view)}\n`);
          return;
        }
        process.stdout.write(formatTable(views.map(row), '(no subscribers configured)'));
      },
      { readOnly: true },
    ),
  );

  examples(
    subscribers
      .command('pause')
      .argument('<id>', 'the subscriber id in the config file')
      .description('stop every process from sending to the subscriber: its deliveries stay pending, in order, until resumed')
      .option('--json', 'the subscriber as JSON'),
    ['subscribers pause ledger'],
  ).action((id: string, options: { json?: boolean }) =>
    withDatabase(async (database, config) => {
      const view = toSubscriberView(await known(subscriberService.pauseSubscriber(database.db, systemClock, config.subscribers, id)));
      print(options.json, view, `${id} is paused: ${view.pending} deliveries wait for it\n`);
    }),
  );

  examples(
    subscribers
      .command('resume')
      .argument('<id>', 'the subscriber id in the config file')
      .description('let the subscriber\'s deliveries go out again')
      .option('--json', 'the subscriber as JSON'),
    ['subscribers resume ledger'],
  ).action((id: string, options: { json?: boolean }) =>
    withDatabase(async (database, config) => {
      const view = toSubscriberView(await known(subscriberService.resumeSubscriber(database.db, config.subscribers, id)));
      // Running receivers on PostgreSQL hear of it at once; on SQLite they look within a second.
      await database.wakeups?.announceNow();
      print(options.json, view, `${id} is resumed: ${view.pending} deliveries pending\n`);
    }),
  );

  examples(
    subscribers
      .command('test')
      .argument('<id>', 'the subscriber id in the config file')
      .description('send one signed payment.test event to the subscriber now, as a delivery is sent; nothing is stored (exit 1 when it is not answered with 2xx)')
      .option('--json', 'the result as JSON: {"id", "delivered", "status", "latencyMs", "error", "responseBody"}'),
    ['subscribers test ledger'],
  ).action((id: string, options: { json?: boolean }) =>
    withDatabase(async (_database, config) => {
      const subscriber = await known(Promise.resolve().then(() => subscriberService.findSubscriber(config.subscribers, id)));
      const result = await sendTestEvent(subscriber, systemClock);
      const answer = result.status === null ? (result.error ?? 'no answer') : `HTTP ${result.status}`;
      print(options.json, result, `${result.delivered ? 'delivered' : 'not delivered'}: ${result.id} to ${id}, ${answer} in ${result.latencyMs} ms\n`);
      if (!result.delivered) process.exitCode = 1;
    }),
  );
}
