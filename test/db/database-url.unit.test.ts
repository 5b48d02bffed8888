import { describe, expect, it } from '@jest/globals';
import { describeConnectionError, redactDatabaseUrl } from '../../src/db/database-url';

describe('redactDatabaseUrl', () => {
  it.each([
    ['postgres://receiver:s3cret@db.internal:5432/receiver', 'postgres://receiver:***@db.internal:5432/receiver'],
    ['postgresql://receiver:p%40ss@db/receiver?sslmode=require', 'postgresql://receiver:***@db/receiver?sslmode=require'],
    ['postgres://db/receiver?user=receiver&password=s3cret', 'postgres://db/receiver?user=receiver&password=***'],
    ['postgres://receiver@db/receiver', 'postgres://receiver@db/receiver'],
    ['postgres://r:pw@db/receiver?sslcert=c.pem&sslkey=k.pem&sslpassword=keyphrase', 'postgres://r:***@db/receiver?sslcert=c.pem&sslkey=k.pem&sslpassword=***'],
    ['sqlite:data/receiver.db', 'sqlite:data/receiver.db'],
  ])('shows %s as %s', (url, shown) => {
    expect(redactDatabaseUrl(url)).toBe(shown);
  });

  it('hides the password of a URL that URL cannot parse', () => {
    expect(redactDatabaseUrl('postgres://receiver:s3cret@[db/receiver')).toBe('postgres://receiver:***@[db/receiver');
  });
});

describe('describeConnectionError', () => {
  it('gives the message of each address tried when Node tried several', () => {
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    const error = new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')]);

    expect(describeConnectionError(error)).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('falls back to the code when the message is empty', () => {
    expect(describeConnectionError(Object.assign(new Error(''), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
  });
});
