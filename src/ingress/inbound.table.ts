import type { Insertable, Selectable } from 'kysely';

export type InboundOutcome = 'accepted' | 'duplicate' | 'rejected';

/** Every request a provider made, accepted or not, with the answer it got. */
export interface InboundRecordTable {
  id: string;
  request_id: string;
  received_at: string;
  source_id: string | null;
  channel: string;
  client_ip: string;
  method: string;
  /** Path and query as received, with any path token redacted. */
  url: string;
  /** JSON object of request headers, secrets redacted. */
  headers: string;
  body: string | null;
  outcome: InboundOutcome;
  reason: string | null;
  response_status: number;
  response_body: string;
  /** Which form of the body a SNAP signature matched: `raw`, `minified` or `reserialized`. */
  signature_form: string | null;
  /** The path the SNAP signature matched (as received, without its query, or prefixed). */
  signature_path: string | null;
}

export type InboundRecordRow = Selectable<InboundRecordTable>;
export type NewInboundRecordRow = Insertable<InboundRecordTable>;
