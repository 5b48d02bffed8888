import type { Db, Trx } from '../../db/database';
import { runStatement, statement } from '../../db/statement';
import type { NewAccessTokenRow } from './access-token.table';

export async function insertToken(db: Db | Trx, row: NewAccessTokenRow): Promise<void> {
  await db.insertInto('access_tokens').values(row).execute();
}

const VALID_UNTIL = statement('select expires_at from access_tokens where token_hash = ? and source_id = ? and expires_at > ?');

/** When the token (by hash), issued to this source, expires; null when it was not or has expired at `now`. */
export async function validUntil(db: Db, tokenHash: string, sourceId: string, now: string): Promise<string | null> {
  const rows = await runStatement<{ expires_at: string }>(db, VALID_UNTIL, [tokenHash, sourceId, now]);
  return rows[0]?.expires_at ?? null;
}
