import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { examples } from './cli-support';
import { addDeliveryCommands } from './deliveries.commands';
import { addEventCommands } from './events.commands';
import { addInboundCommands } from './inbound.commands';
import { addMaintenanceCommands } from './maintenance.commands';
import { addReplayCommand } from './replay.command';
import { addSubscriberCommands } from './subscribers.commands';
import { addWatchCommands } from './watch.commands';

/** Every command of the operator CLI; nothing runs until it is parsed. */
export function buildProgram(): Command {
  const program = new Command()
    .name('receiver')
    .description(
      'Operator commands for the payment callback receiver: the same environment, config file and database as the server.\n' +
        'In the project, run it as `npm run -s cli -- <command>` (-s keeps npm quiet, so stdout holds only the output).\n' +
        'Tables for people, --json for scripts; a list says where its next page starts on stderr.\n' +
        'Exit codes: 0 done, 1 failed (or nothing to do where something was asked), 2 bad arguments or configuration.',
    )
    .version(packageVersion(), '-V, --version', 'print the version of the receiver')
    .helpOption('-h, --help', 'show help for the command')
    .helpCommand('help [command]', 'show help for a command')
    .showHelpAfterError('(add --help for the options and examples)')
    .exitOverride();
  addMaintenanceCommands(program);
  addEventCommands(program);
  addInboundCommands(program);
  addReplayCommand(program);
  addDeliveryCommands(program);
  addSubscriberCommands(program);
  addWatchCommands(program);
  return examples(program, [
    'events list --status FAILED --since 2026-11-21T00:00:00Z',
    'events list --json | jq .data.reference',
    'deliveries list --state dead',
    'help replay',
  ]);
}

/** package.json's version, found from here whether running from src/ or dist/src/. */
function packageVersion(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
