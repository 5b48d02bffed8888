import type { DeliveryAttemptRow, DeliveryRow } from '../delivery/delivery.table';

/** How the admin API shows a delivery, with its attempts when given. */
export function toDeliveryView(row: DeliveryRow, attempts?: readonly DeliveryAttemptRow[]) {
  return {
    id: row.id,
    eventId: row.event_id,
    subscriber: row.subscriber_id,
    source: row.source_id,
    reference: row.reference,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.state === 'pending' ? row.next_attempt_at : null,
    leaseExpiresAt: row.lease_expires_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
    ...(attempts
      ? {
          attemptLog: attempts.map((a) => ({
            attempt: a.attempt,
            startedAt: a.started_at,
            latencyMs: a.latency_ms,
            statusCode: a.status_code,
            error: a.error,
            responseBody: a.response_body,
            outcome: a.outcome,
          })),
        }
      : {}),
  };
}
