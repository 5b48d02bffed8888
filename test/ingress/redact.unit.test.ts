import { describe, expect, it } from '@jest/globals';
import { redactHeaders, redactQuery, redactUrl } from '../../src/ingress/redact';

describe('redactUrl', () => {
  it('leaves a biller URL without a token as it is', () => {
    expect(redactUrl('/callbacks/biller/biller-a?status=0&refid=R1')).toBe('/callbacks/biller/biller-a?status=0&refid=R1');
    expect(redactUrl('/callbacks/biller/biller-a/?status=0')).toBe('/callbacks/biller/biller-a/?status=0');
  });

  it('hides a remembered token wherever it stands, raw or encoded, and keeps the rest of the query', () => {
    const url = '/v1/x?refid=R1&message=SN+long-secret-1+ok&copy=%6Cong-secret-1';

    expect(redactUrl(url, ['long-secret-1'])).toBe('/v1/x?refid=R1&message=[REDACTED]&copy=[REDACTED]');
  });

  it('hides a short token only where it stands alone, so the query stays readable', () => {
    expect(redactUrl('/v1/x?status=0&refid=abc&message=abcdef', ['abc'])).toBe('/v1/x?status=0&refid=[REDACTED]&message=abcdef');
  });
});

describe('redactQuery', () => {
  it('keeps known parameters, hides unknown values, and hides a name that could itself be a token', () => {
    const known = new Set(['limit', 'source']);

    expect(redactQuery('/admin/events?limit=5&token=s3cret&source=a+b&test-admin-token-0123=1', known)).toBe(
      '/admin/events?limit=5&token=[REDACTED]&source=a+b&[REDACTED]',
    );
  });
});

describe('redactHeaders', () => {
  it('keeps headers on the safe list as sent and every other one by name only', () => {
    expect(redactHeaders({ 'X-Partner-Id': 'p1', 'x-forwarded-for': ['a', 'b'], 'x-api-key': 'k', authorization: 'Bearer t', skipped: undefined })).toEqual({
      'X-Partner-Id': 'p1',
      'x-forwarded-for': 'a, b',
      'x-api-key': '[REDACTED]',
      authorization: '[REDACTED]',
    });
  });
});
