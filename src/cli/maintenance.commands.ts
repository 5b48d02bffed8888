import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config';
import { migrateToLatest } from '../db/migrator';
import { backupSqlite } from './backup';
import { examples, print, withDatabase } from './cli-support';

export function addMaintenanceCommands(program: Command): void {
  examples(program.command('migrate').description('apply pending database migrations (the server does this at start too)'), ['migrate']).action(() =>
    withDatabase(
      async (database) => {
        const applied = await migrateToLatest(database.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is current\n');
      },
      { requireCurrent: false },
    ),
  );

  examples(program.command('serve').description('run the receiver, as npm start does without the build step'), [
    'serve',
    'ADMIN_TOKEN=local-admin-token-123 DATABASE_URL=postgres://receiver:secret@127.0.0.1:5432/receiver npm run -s cli -- serve',
  ]).action(async () => {
    // The server and everything it serves with load only for this command: the others start faster.
    const { runServer } = await import('../server.js');
    await runServer();
  });

  const secret = examples(program.command('secret').description('secrets for the config file'), ['secret new']);
  examples(
    secret
      .command('new')
      .description("print a fresh subscriber signing secret (whsec_ and the base64 of 32 random bytes) for a subscriber's \"secret\", and nothing else"),
    ['secret new', 'LEDGER_SECRET=$(npm run -s cli -- secret new)'],
  ).action(() => {
    process.stdout.write(`whsec_${randomBytes(32).toString('base64')}\n`);
  });

  examples(
    program
      .command('backup')
      .argument('<file>', 'where to write the copy: a new file, in a folder that exists')
      .description(
        'copy the SQLite database into a new file with VACUUM INTO, safe while the server runs, and check the copy (integrity_check); for PostgreSQL use pg_dump',
      )
      .option('--json', 'the result as JSON: {"file", "bytes"}'),
    ['backup backups/receiver-2026-11-22.db', 'backup "backups/receiver-$(date +%F).db"'],
  ).action((file: string, options: { json?: boolean }) => {
    // Only DATABASE_URL matters; no secret is needed to copy the file.
    const { databaseUrl } = loadConfig(process.env, { allowMissingSecrets: true });
    const result = backupSqlite(databaseUrl, file);
    print(options.json, result, `backed up to ${result.file} (${result.bytes} bytes, integrity_check ok)\n`);
  });
}
