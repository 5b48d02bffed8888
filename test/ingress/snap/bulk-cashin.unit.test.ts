import { describe, expect, it } from '@jest/globals';
import type { Status } from '../../../src/events/event';
import { itemStatus, validateBulkCashinNotify } from '../../../src/ingress/snap/bulk-cashin';
import { buildBulkCashinNotify, buildBulkItem } from '../../support/snap';

// One emoji: a single code point, two UTF-16 units.
const EMOJI = '\u{1F600}';

describe('itemStatus (CONTRACT 4, snap.bulk-cashin)', () => {
  it.each<[string, Status]>([
    ['2004100', 'SUCCESS'],
    ['2000000', 'SUCCESS'],
    ['2024100', 'PENDING'],
    ['4094101', 'SUCCESS'],
    ['4090001', 'SUCCESS'],
    ['4099901', 'SUCCESS'],
    ['5004100', 'PENDING'],
    ['5044100', 'PENDING'],
    ['5994199', 'PENDING'],
  ])('reads %s as %s', (responseCode, status) => {
    expect(itemStatus(responseCode)).toBe(status);
  });

  it.each([
    // 409 with another case code than 01 is a real conflict, not "already succeeded".
    '4094102',
    '4094100',
    '4094110',
    '4004101',
    '4014101',
    '4044101',
    '2014100',
    '2034100',
    '4294100',
  ])('reads %s as FAILED', (responseCode) => {
    expect(itemStatus(responseCode)).toBe('FAILED');
  });

  it.each(['200', '20041000', '409410', '500', 'x004100'])('reads %s, which is no 7-digit code, as FAILED', (responseCode) => {
    expect(itemStatus(responseCode)).toBe('FAILED');
  });
});

describe('validateBulkCashinNotify', () => {
  const withReference = (partnerReferenceNo: string) =>
    buildBulkCashinNotify({}, [buildBulkItem({ partnerReferenceNo })]);

  it('accepts a partnerReferenceNo of 64 code points even when they take 128 UTF-16 units', () => {
    const reference = EMOJI.repeat(64);
    expect(reference).toHaveLength(128);

    expect(validateBulkCashinNotify(withReference(reference))).toBe(true);
  });

  it('refuses a partnerReferenceNo of 65 code points', () => {
    expect(validateBulkCashinNotify(withReference(EMOJI.repeat(65)))).toBe(false);
    expect(validateBulkCashinNotify.errors?.[0]).toMatchObject({
      instancePath: '/bulkObject/0/partnerReferenceNo',
      keyword: 'maxLength',
    });
  });
});
