import type { SnapSource } from '../../config/config';
import type { Status, StatusReport } from '../../events/event';
import { ajv } from '../../validation';
import { SnapRejection } from './snap-rejection';
import { additionalInfo, amountSchema, mandatoryReference, mandatoryText, text } from './snap-schema';

/** Body of `POST /v1.0/emoney/bulk-cashin-notify` (service 41), from 003_72045ae89b236ebf.txt. */
export interface BulkCashinNotify {
  bulkId: string;
  partnerBulkId: string;
  bulkObject: BulkCashinItem[];
  additionalInfo?: Record<string, unknown>;
}

export interface BulkCashinItem {
  customerNumber: string;
  customerName?: string;
  amount?: { value: string; currency: string };
  referenceNo: string;
  partnerReferenceNo: string;
  responseCode: string;
  responseMessage: string;
  additionalInfo?: Record<string, unknown>;
}

export const validateBulkCashinNotify = ajv.compile<BulkCashinNotify>({
  type: 'object',
  properties: {
    bulkId: mandatoryText(64),
    partnerBulkId: mandatoryText(64),
    bulkObject: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          customerNumber: mandatoryText(64),
          customerName: text(30),
          amount: amountSchema,
          referenceNo: mandatoryReference(64),
          partnerReferenceNo: mandatoryReference(64),
          responseCode: { type: 'string', pattern: '^\\d{7}$' },
          responseMessage: mandatoryText(150),
          additionalInfo,
        },
        required: ['customerNumber', 'referenceNo', 'partnerReferenceNo', 'responseCode', 'responseMessage'],
      },
    },
    additionalInfo,
  },
  required: ['bulkId', 'partnerBulkId', 'bulkObject'],
});

export function checkBulkSize(body: BulkCashinNotify, source: SnapSource): void {
  if (body.bulkObject.length > source.maxBulkItems) throw new SnapRejection('invalid_field', 'bulkObject');
}

/**
 * CONTRACT 4: an item's responseCode as a status. `409xx01` is the seed's "duplicate
 * partnerReferenceNo": the provider already paid that item, so it is a success, not a refusal.
 * A `5xxxxxx` is the provider's own error or timeout, after which nobody knows whether the money
 * moved: a subscriber told FAILED might retry or refund a cash-in that went through, so it stays
 * PENDING until a later report settles it.
 */
export function itemStatus(responseCode: string): Status {
  if (/^200\d{4}$/.test(responseCode)) return 'SUCCESS';
  if (/^202\d{4}$/.test(responseCode)) return 'PENDING';
  if (/^409\d{2}01$/.test(responseCode)) return 'SUCCESS';
  if (/^5\d{6}$/.test(responseCode)) return 'PENDING';
  return 'FAILED';
}

/** One report per bulkObject item. */
export function toBulkCashinReports(body: BulkCashinNotify, source: SnapSource): StatusReport[] {
  return body.bulkObject.map((item) => ({
    source: source.id,
    channel: 'snap.bulk-cashin',
    reference: item.partnerReferenceNo,
    providerReference: item.referenceNo,
    status: itemStatus(item.responseCode),
    providerStatus: item.responseCode,
    amount: item.amount ? { value: item.amount.value, currency: item.amount.currency } : null,
    occurredAt: null,
    details: {
      bulkId: body.bulkId,
      partnerBulkId: body.partnerBulkId,
      customerNumber: item.customerNumber,
      customerName: item.customerName ?? null,
      responseMessage: item.responseMessage,
      additionalInfo: item.additionalInfo ?? null,
    },
  }));
}

export function bulkCashinSuccess(body: BulkCashinNotify) {
  return { bulkId: body.bulkId, partnerBulkId: body.partnerBulkId };
}
