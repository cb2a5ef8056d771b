import { Type } from 'typebox';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { AuthenticatedUser } from '../auth/authenticate.js';
import { findSession } from '../db/queries/sessions.js';
import { findControlShare } from '../db/queries/control-shares.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { mayViewSession } from '../vnc/stream-access.js';
import { refuseUnclaimed } from '../warm-pools/unclaimed-session.js';
import { SHARE_TOKEN_SHAPE, hashShareToken } from '../sessions/share-links.js';

/** The header a link share's guest sends its share token in (the link's `shr_…` part). */
export const SHARE_TOKEN_HEADER = 'x-share-token';

/** The request headers schema of every route a control share's guest may call. */
export const ShareTokenHeaders = Type.Object({
  [SHARE_TOKEN_HEADER]: Type.Optional(
    Type.String({ description: "a control share's link token (shr_…), for its guest" }),
  ),
});

export interface TransferAccess {
  sessionId: string;
  ownerUserId: string;
  agentUuid: string;
  /** Set when the caller came through a control share. */
  shareId: string | null;
}

/**
 * Who may move files in or out of a session: its owner, an admin, or a guest of a live control
 * share. Anyone else is told the session does not exist (as GET /sessions/{id} tells them). Only a
 * running session, which has a container and an agent to reach it, answers (409 otherwise). A guest
 * names the share by its link token (the API) or by its id (a download link minted through it).
 */
export async function transferAccess(
  db: Kysely<Schema>,
  me: AuthenticatedUser,
  sessionId: string,
  share: { token: string | undefined } | { id: string | null },
): Promise<TransferAccess> {
  const session = isUuid(sessionId) ? await findSession(db, sessionId) : undefined;
  if (!session || session.state === 'deleted') throw new NotFoundError('session', sessionId);
  refuseUnclaimed(session, 'used for file transfers');
  let shareId: string | null = null;
  if (!mayViewSession(me, session)) {
    let found: { id: string } | undefined;
    if ('token' in share) {
      const token = share.token && SHARE_TOKEN_SHAPE.test(share.token) ? hashShareToken(share.token) : undefined;
      found = await findControlShare(db, session.id, me.userId, token);
    } else if (share.id) {
      found = await findControlShare(db, session.id, me.userId, undefined, share.id);
    }
    if (!found) throw new NotFoundError('session', sessionId);
    shareId = found.id;
  }
  if (session.state !== 'running' || !session.agent_id)
    throw new ConflictError(
      `Session is ${session.state}; files can be moved in or out only while it runs: start it first`,
      'session_not_running',
    );
  return { sessionId: session.id, ownerUserId: session.user_id, agentUuid: session.agent_id, shareId };
}
