// `npm run test:e2e`: the operator console (CONTRACT 8) in headless Chromium (Debian's package,
// /usr/bin/chromium) driven by playwright-core, against the compiled receiver in a child process.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'],
  globalSetup: '<rootDir>/test/global-setup.js',
  reporters: ['default', ['<rootDir>/test/count-reporter.js', { file: '.jest-e2e-results.json' }]],
  testTimeout: 60_000,
};
