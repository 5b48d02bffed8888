/** The canonical status event every provider report becomes (CONTRACT 4). */
export const STATUSES = ['PENDING', 'SUCCESS', 'FAILED', 'CANCELED', 'REFUNDED', 'NOT_FOUND'] as const;
export type Status = (typeof STATUSES)[number];

export const CHANNELS = ['biller', 'snap.bulk-cashin', 'snap.qr-cpm', 'mmbc.multipayment', 'mmbc.ppob'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Amount {
  /** Decimal string with two places, never a float. */
  readonly value: string;
  readonly currency: string;
}

/** What a provider told us about one transaction, before it is stored. */
export interface StatusReport {
  readonly source: string;
  readonly channel: Channel;
  readonly reference: string;
  readonly providerReference: string | null;
  readonly status: Status;
  readonly providerStatus: string;
  readonly amount: Amount | null;
  readonly occurredAt: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface PaymentEvent {
  readonly id: string;
  readonly type: 'payment.status';
  readonly createdAt: string;
  readonly data: {
    readonly source: string;
    readonly channel: Channel;
    readonly reference: string;
    readonly providerReference: string | null;
    readonly status: Status;
    readonly providerStatus: string;
    readonly amount: Amount | null;
    readonly occurredAt: string | null;
    readonly receivedAt: string;
    readonly stale?: true;
    /** A FAILED or CANCELED after SUCCESS: the customer must be refunded. */
    readonly reversal?: true;
    readonly details: Readonly<Record<string, unknown>>;
  };
}

export function isStatus(value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value);
}

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}
