import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

/**
 * A live control share of `sessionId` that admits `userId`: one naming them, or a link share whose
 * token (its SHA-256, `tokenHash`) they present. Only control shares: a view-only guest may watch
 * the desktop but not move files in or out of it. `shareId`, when given, must be that share (a
 * download link re-checks the share it was minted through).
 */
export function findControlShare(
  db: Kysely<Schema>,
  sessionId: string,
  userId: string,
  tokenHash: string | undefined,
  shareId?: string,
) {
  return db
    .selectFrom('session_shares')
    .select(['id', 'user_id'])
    .where('session_id', '=', sessionId)
    .where('mode', '=', 'control')
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`NOW()`)
    .$if(shareId !== undefined, (q) => q.where('id', '=', shareId!))
    .where((eb) =>
      eb.or([
        eb('user_id', '=', userId),
        ...(shareId ? [eb('user_id', 'is', null)] : []),
        ...(tokenHash
          ? [eb.and([eb('token_hash', '=', tokenHash), eb.or([eb('user_id', 'is', null), eb('user_id', '=', userId)])])]
          : []),
      ]),
    )
    .executeTakeFirst();
}
