// `npm run test:resilience`: real receiver processes under load, crashes and outages
// (test/resilience). Runs once on SQLite and again on PostgreSQL when TEST_DATABASE_URL is set,
// one file at a time so the scenarios' figures are not skewed by each other.
const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/test/resilience/**/*.resilience.ts'],
};

const projects = [{ ...base, displayName: 'sqlite', globals: { TEST_ENGINE: 'sqlite' } }];
if (process.env.TEST_DATABASE_URL) {
  projects.push({ ...base, displayName: 'postgres', globals: { TEST_ENGINE: 'postgres' } });
}

/** @type {import('jest').Config} */
module.exports = {
  projects,
  globalSetup: '<rootDir>/test/global-setup.js',
  reporters: ['default', ['<rootDir>/test/count-reporter.js', { file: '.jest-resilience-results.json' }]],
  testTimeout: 180_000,
};
