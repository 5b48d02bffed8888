import type { Db, Trx } from '../../db/database';
import type { NewAccessTokenRow } from './access-token.table';

export async function insertToken(db: Db | Trx, row: NewAccessTokenRow): Promise<void> {
  await db.insertInto('access_tokens').values(row).execute();
}

/** True when the token (by hash) was issued to this source and has not expired at `now`. */
export async function isValid(db: Db, tokenHash: string, sourceId: string, now: string): Promise<boolean> {
  const row = await db
    .selectFrom('access_tokens')
    .select('token_hash')
    .where('token_hash', '=', tokenHash)
    .where('source_id', '=', sourceId)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}
