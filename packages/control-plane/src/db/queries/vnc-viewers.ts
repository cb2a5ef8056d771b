import { sql, type Kysely } from 'kysely';
import type { Schema, ViewerMode } from '../schema.js';

type Db = Kysely<Schema>;

/** A viewer row no replica refreshed within this long belongs to a replica that died (0017). */
export const VIEWER_LIVE_MS = 45_000;

const within = (ms: number) => sql<Date>`NOW() - ${ms}::double precision * INTERVAL '1 millisecond'`;

export interface ViewerRow {
  id: string;
  sessionId: string;
  userId: string;
  username: string;
  shareId: string | null;
  mode: ViewerMode;
  replicaId: string;
}

export async function insertViewer(db: Db, viewer: ViewerRow) {
  await db
    .insertInto('vnc_viewers')
    .values({
      id: viewer.id,
      session_id: viewer.sessionId,
      user_id: viewer.userId,
      username: viewer.username,
      share_id: viewer.shareId,
      mode: viewer.mode,
      replica_id: viewer.replicaId,
    })
    .execute();
}

/** Marks the viewers this replica holds as present (one statement for all of them). */
export async function refreshViewers(db: Db, ids: string[]) {
  if (ids.length === 0) return;
  await db
    .updateTable('vnc_viewers')
    .set({ refreshed_at: sql<Date>`NOW()` })
    .where('id', 'in', ids)
    .execute();
}

/**
 * The session's last present viewer has gone: idle time counts from now. One statement, so two
 * replicas whose viewers leave at once cannot both miss it.
 */
function markLastViewerLeft(db: Db, sessionIds: string[]) {
  return db
    .updateTable('sessions')
    .set({ last_viewer_left_at: sql<Date>`NOW()` })
    .where('id', 'in', sessionIds)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('vnc_viewers as v')
            .select('v.id')
            .whereRef('v.session_id', '=', 'sessions.id')
            .where('v.refreshed_at', '>=', within(VIEWER_LIVE_MS)),
        ),
      ),
    )
    .execute();
}

export async function deleteViewer(db: Db, id: string, sessionId: string) {
  await db.deleteFrom('vnc_viewers').where('id', '=', id).execute();
  await markLastViewerLeft(db, [sessionId]);
}

/** Rows of replicas that died: deleted, and their sessions' viewers counted as gone. */
export async function deleteStaleViewers(db: Db): Promise<number> {
  const gone = await db
    .deleteFrom('vnc_viewers')
    .where('refreshed_at', '<', within(VIEWER_LIVE_MS))
    .returning('session_id')
    .execute();
  if (gone.length > 0) await markLastViewerLeft(db, [...new Set(gone.map((row) => row.session_id))]);
  return gone.length;
}

/**
 * Input was seen: recorded unless a replica recorded some within `coarseMs`, so a session's row is
 * written at most once per `coarseMs` however many viewers type on however many replicas.
 */
export async function recordActivity(db: Db, sessionId: string, coarseMs: number): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ last_activity_at: sql<Date>`NOW()` })
    .where('id', '=', sessionId)
    .where('state', '=', 'running')
    .where((eb) => eb.or([eb('last_activity_at', 'is', null), eb('last_activity_at', '<', within(coarseMs))]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Who is watching `sessionId` now (rows refreshed within the live bound). */
export function listViewers(db: Db, sessionId: string) {
  return db
    .selectFrom('vnc_viewers')
    .select(['id', 'user_id', 'username', 'share_id', 'mode', 'connected_at'])
    .where('session_id', '=', sessionId)
    .where('refreshed_at', '>=', within(VIEWER_LIVE_MS))
    .orderBy('connected_at')
    .execute();
}

/** Whether `userId` is connected to `sessionId` now as a control viewer (a control share's guest). */
export async function isControlViewer(db: Db, sessionId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('vnc_viewers')
    .select('id')
    .where('session_id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('mode', '=', 'control')
    .where('refreshed_at', '>=', within(VIEWER_LIVE_MS))
    .executeTakeFirst();
  return row !== undefined;
}
