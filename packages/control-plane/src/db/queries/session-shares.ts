import { sql, type Kysely } from 'kysely';
import type { Schema, SessionShare } from '../schema.js';

type Db = Kysely<Schema>;

/** How long a viewer row lives without its replica refreshing it (every 15 s, migration 0017). */
const VIEWER_LAPSE = sql<Date>`NOW() - INTERVAL '45 seconds'`;

export function insertShare(
  db: Db,
  share: {
    sessionId: string;
    tokenHash: string;
    mode: 'view' | 'control';
    userId: string | null;
    createdBy: string;
    ttlMs: number;
  },
): Promise<SessionShare> {
  return db
    .insertInto('session_shares')
    .values({
      session_id: share.sessionId,
      token_hash: share.tokenHash,
      mode: share.mode,
      user_id: share.userId,
      created_by: share.createdBy,
      expires_at: sql<Date>`NOW() + ${share.ttlMs}::double precision * INTERVAL '1 millisecond'`,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A session's shares, newest first, with the named user's and the creator's names. */
export function listShares(db: Db, sessionId: string) {
  return db
    .selectFrom('session_shares as s')
    .leftJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('users as c', 'c.id', 's.created_by')
    .select([
      's.id',
      's.session_id',
      's.mode',
      's.user_id',
      'u.username as username',
      'c.username as created_by',
      's.created_at',
      's.expires_at',
      's.revoked_at',
    ])
    .where('s.session_id', '=', sessionId)
    .orderBy('s.created_at', 'desc')
    .execute();
}
export type ShareListRow = Awaited<ReturnType<typeof listShares>>[number];

/** Who is connected through the session's shares now (rows a live replica keeps refreshing). */
export function liveShareViewers(db: Db, sessionId: string) {
  return db
    .selectFrom('vnc_viewers')
    .select(['id', 'share_id', 'user_id', 'username', 'mode', 'connected_at'])
    .where('session_id', '=', sessionId)
    .where('share_id', 'is not', null)
    .where('refreshed_at', '>', VIEWER_LAPSE)
    .orderBy('connected_at')
    .execute();
}

export function findShareInSession(db: Db, sessionId: string, shareId: string) {
  return db
    .selectFrom('session_shares')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('id', '=', shareId)
    .executeTakeFirst();
}

export function findShareByTokenHash(db: Db, tokenHash: string) {
  return db.selectFrom('session_shares').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Revokes once: the row when this call revoked it, undefined when it already was. */
export function revokeShare(db: Db, shareId: string) {
  return db
    .updateTable('session_shares')
    .set({ revoked_at: sql<Date>`NOW()` })
    .where('id', '=', shareId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Expired or revoked shares that still have a live viewer: the maintenance loop closes those viewers
 * (a stream outlives its ticket, so expiry must end it explicitly). Not "expired since the last
 * tick": a replica that restarted, or a close that was lost, is caught on the next tick all the same.
 */
export function endedSharesWithViewers(db: Db) {
  return db
    .selectFrom('session_shares as s')
    .select(['s.id', 's.session_id', 's.expires_at', 's.revoked_at'])
    .where((eb) => eb.or([eb('s.revoked_at', 'is not', null), eb('s.expires_at', '<=', sql<Date>`NOW()`)]))
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('vnc_viewers as v')
          .select('v.id')
          .whereRef('v.share_id', '=', 's.id')
          .where('v.refreshed_at', '>', VIEWER_LAPSE),
      ),
    )
    .execute();
}

/**
 * Whether a share still lets `userId` into `sessionId` when the stream opens: not revoked, not
 * expired, and for them if it names a user. The proxy asks again because a ticket outlives the
 * redeem by up to its TTL, in which the share may have been revoked.
 */
export async function shareAdmits(db: Db, shareId: string, sessionId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('session_shares')
    .select('id')
    .where('id', '=', shareId)
    .where('session_id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`NOW()`)
    .where((eb) => eb.or([eb('user_id', 'is', null), eb('user_id', '=', userId)]))
    .executeTakeFirst();
  return row !== undefined;
}
