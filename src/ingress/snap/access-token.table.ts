import type { Insertable, Selectable } from 'kysely';

export interface AccessTokenTable {
  token_hash: string;
  source_id: string;
  issued_at: string;
  expires_at: string;
}

export type AccessTokenRow = Selectable<AccessTokenTable>;
export type NewAccessTokenRow = Insertable<AccessTokenTable>;
