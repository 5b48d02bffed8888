// The suite runs on SQLite always, and again on PostgreSQL when TEST_DATABASE_URL is set.
// Files named *.unit.test.ts touch no database and run once.
const base = {
  testEnvironment: 'node',
  transform: {
    // Transpile only: `npm run typecheck` type-checks the whole tree with tsc.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
};

const projects = [{ ...base, displayName: 'sqlite', globals: { TEST_ENGINE: 'sqlite' } }];
if (process.env.TEST_DATABASE_URL) {
  projects.push({
    ...base,
    displayName: 'postgres',
    globals: { TEST_ENGINE: 'postgres' },
    testPathIgnorePatterns: ['\\.unit\\.test\\.ts$'],
  });
}

/** @type {import('jest').Config} */
module.exports = {
  projects,
  globalSetup: '<rootDir>/test/global-setup.js',
  reporters: ['default', '<rootDir>/test/count-reporter.js'],
};
