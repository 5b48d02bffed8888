import { describe, expect, it } from '@jest/globals';
import { readEnvironment } from '../../src/config/env';

describe('DATABASE_POOL_SIZE and DATABASE_STATEMENT_TIMEOUT_MS', () => {
  it('default to a pool of 10 and a statement timeout of 30 s', () => {
    const settings = readEnvironment({});

    expect([settings.databasePoolSize, settings.databaseStatementTimeoutMs]).toEqual([10, 30_000]);
  });

  it('take the values given, 0 turning the statement timeout off', () => {
    const settings = readEnvironment({ DATABASE_POOL_SIZE: '40', DATABASE_STATEMENT_TIMEOUT_MS: '0' });

    expect([settings.databasePoolSize, settings.databaseStatementTimeoutMs]).toEqual([40, 0]);
  });

  it.each([
    ['DATABASE_POOL_SIZE', '1', 'config: DATABASE_POOL_SIZE: must be an integer from 2 to 1000'],
    ['DATABASE_POOL_SIZE', 'ten', 'config: DATABASE_POOL_SIZE: must be an integer from 2 to 1000'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '-1', 'config: DATABASE_STATEMENT_TIMEOUT_MS: must be an integer from 0 to 86400000'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '1.5', 'config: DATABASE_STATEMENT_TIMEOUT_MS: must be an integer from 0 to 86400000'],
  ])('refuses %s=%s with one line', (name, value, message) => {
    expect(() => readEnvironment({ [name]: value })).toThrow(message);
  });
});
