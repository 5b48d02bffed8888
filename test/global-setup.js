// Some tests start the compiled server as a child process (exit codes, crash safety), so the
// build must be current before any test runs.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = function globalSetup() {
  const root = join(__dirname, '..');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
};
