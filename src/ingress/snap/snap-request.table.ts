import type { Insertable, Selectable } from 'kysely';

/** One accepted SNAP notify per (source, service, X-EXTERNAL-ID, Jakarta day), with the answer it got. */
export interface SnapRequestTable {
  source_id: string;
  external_id: string;
  jakarta_day: string;
  channel: string;
  /** sha256 of JSON.stringify(JSON.parse(body)): a repeat with the same body, however spaced, gets the same answer. */
  body_hash: string;
  inbound_id: string;
  response_status: number;
  response_body: string;
  created_at: string;
}

export type SnapRequestRow = Selectable<SnapRequestTable>;
export type NewSnapRequestRow = Insertable<SnapRequestTable>;
