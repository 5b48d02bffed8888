#!/usr/bin/env node
import { InvalidRequestError } from './admin/admin-errors';
import { ConfigError } from './config/config';
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './cli/cli-support';
import { buildProgram } from './cli/program';

// The operator CLI: `npm run -s cli -- …` in the project, `receiver …` where the package is installed.
buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const { code, exitCode } = error as { code?: unknown; exitCode?: unknown };
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // commander has printed the help, the version or the complaint already; help asked for is
      // a success, help shown because something was missing is a usage error.
      process.exit(exitCode === 0 ? 0 : EXIT_USAGE);
    }
    if (error instanceof UsageError || error instanceof InvalidRequestError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(EXIT_USAGE);
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT_USAGE);
    }
    process.stderr.write(`receiver: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(EXIT_FAILURE);
  });
