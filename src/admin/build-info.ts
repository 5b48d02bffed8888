import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let version: string | undefined;

/** The `version` of the project's package.json, found from here whether running from src/ or dist/src/. */
export function packageVersion(): string {
  if (version === undefined) {
    let dir = __dirname;
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    const file = join(dir, 'package.json');
    version = existsSync(file) ? String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? 'unknown') : 'unknown';
  }
  return version;
}
