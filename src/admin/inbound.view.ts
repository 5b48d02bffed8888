import type { InboundRecordRow } from '../ingress/inbound.table';

/** How the admin API shows a stored provider request. */
export function toInboundView(row: InboundRecordRow) {
  return {
    id: row.id,
    requestId: row.request_id,
    receivedAt: row.received_at,
    source: row.source_id,
    channel: row.channel,
    clientIp: row.client_ip,
    method: row.method,
    url: row.url,
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    outcome: row.outcome,
    reason: row.reason,
    response: { status: row.response_status, body: row.response_body },
  };
}
