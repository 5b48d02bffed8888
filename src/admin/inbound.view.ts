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
    signature: row.signature_form === null ? null : { form: row.signature_form, path: row.signature_path },
    response: { status: row.response_status, body: row.response_body },
  };
}
