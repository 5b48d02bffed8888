import type { Request } from 'express';
import { type Clock, newId } from '../clock';
import { clientIp } from './client-ip';
import type { InboundRequest } from './inbound.service';
import { redactHeaders, redactRequestUrl } from './redact';

/** The request as it will be stored: redacted, stamped with our receive time. */
export function describeRequest(
  req: Request,
  clock: Clock,
  channel: string,
  sourceId: string | null,
  body: string | Buffer | null,
  signature: InboundRequest['signature'] = null,
): InboundRequest {
  return {
    id: newId('inb', clock),
    requestId: String(req.id),
    receivedAt: clock.now().toISOString(),
    sourceId,
    channel,
    clientIp: clientIp(req),
    method: req.method,
    url: redactRequestUrl(req, req.originalUrl),
    headers: redactHeaders(req.headers),
    body: Buffer.isBuffer(body) ? body.toString('utf8') : body,
    signature,
  };
}
