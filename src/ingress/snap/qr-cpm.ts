import type { SnapSource } from '../../config/config';
import type { Status, StatusReport } from '../../events/event';
import { ajv } from '../../validation';
import { SnapRejection } from './snap-rejection';
import { additionalInfo, amountSchema, mandatoryText, referenceText, text } from './snap-schema';

/** Body of `POST /v1.0/qr/qr-cpm-notify` (service 79), from 004_49cde8bc53f6e5ef.txt. */
export interface QrCpmNotify {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  merchantId: string;
  subMerchantId?: string;
  externalStoreId?: string;
  amount?: { value: string; currency: string };
  latestTransactionStatus: string;
  transactionStatusDesc?: string;
  customerNumber?: string;
  accountType?: string;
  destinationNumber?: string;
  destinationAccountName?: string;
  sessionID?: string;
  bankCode?: string;
  additionalInfo?: Record<string, unknown>;
}

export const validateQrCpmNotify = ajv.compile<QrCpmNotify>({
  type: 'object',
  properties: {
    originalPartnerReferenceNo: referenceText(64),
    originalReferenceNo: referenceText(64),
    merchantId: mandatoryText(64),
    subMerchantId: text(32),
    externalStoreId: text(64),
    amount: amountSchema,
    latestTransactionStatus: { type: 'string', pattern: '^0[0-7]$' },
    transactionStatusDesc: text(50),
    customerNumber: text(64),
    accountType: text(25),
    destinationNumber: text(25),
    destinationAccountName: text(25),
    sessionID: text(25),
    bankCode: text(8),
    additionalInfo,
  },
  required: ['merchantId', 'latestTransactionStatus'],
});

const STATUS_BY_CODE: Readonly<Record<string, Status>> = {
  '00': 'SUCCESS',
  '01': 'PENDING',
  '02': 'PENDING',
  '03': 'PENDING',
  '04': 'REFUNDED',
  '05': 'CANCELED',
  '06': 'FAILED',
  '07': 'NOT_FOUND',
};

/** Both references are optional in the seed table, but an event needs one of them. */
export function checkReference(body: QrCpmNotify): void {
  if (!body.originalPartnerReferenceNo && !body.originalReferenceNo) {
    throw new SnapRejection('missing_field', 'originalPartnerReferenceNo');
  }
}

export function toQrCpmReports(body: QrCpmNotify, source: SnapSource): StatusReport[] {
  const { originalPartnerReferenceNo, originalReferenceNo, amount, latestTransactionStatus, ...rest } = body;
  return [
    {
      source: source.id,
      channel: 'snap.qr-cpm',
      reference: originalPartnerReferenceNo || originalReferenceNo || '',
      providerReference: originalReferenceNo || null,
      status: STATUS_BY_CODE[latestTransactionStatus] ?? 'FAILED',
      providerStatus: latestTransactionStatus,
      amount: amount ? { value: amount.value, currency: amount.currency } : null,
      occurredAt: null,
      details: { originalPartnerReferenceNo: originalPartnerReferenceNo ?? null, ...rest },
    },
  ];
}
