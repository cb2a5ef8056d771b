import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { Database, Unlisten } from '../db/database.js';
import { isUuid } from '../ids.js';

/** NOTIFY channel every replica's VNC proxy listens on; payload: JSON `{session_id?, share_id?, reason}`. */
export const VIEWER_CLOSE_CHANNEL = 'vnc_viewer_close';

/** Which viewers to close (all of a session, all of a share, or those of a share in a session) and
 * the reason the viewer is shown. */
export interface ViewerCloseRequest {
  sessionId?: string;
  shareId?: string;
  reason: string;
}

/** A WebSocket close reason is at most 123 bytes (RFC 6455 5.5); longer text is cut, not refused. */
export function closeReasonText(reason: string): string {
  let text = reason;
  while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
  return text;
}

/**
 * Closes the matching viewers on every replica, this one included: the viewer's WebSocket may be
 * held by any replica, so the request goes through the database (NOTIFY), not the local proxy.
 * Callers revoking a share or hibernating a session call this after their own change committed.
 */
export async function closeViewers(db: Kysely<Schema>, request: ViewerCloseRequest): Promise<void> {
  if (!request.sessionId && !request.shareId) throw new Error('closeViewers needs a sessionId or a shareId');
  const payload = JSON.stringify({
    session_id: request.sessionId,
    share_id: request.shareId,
    reason: closeReasonText(request.reason),
  });
  await db
    .selectNoFrom((eb) => eb.fn<string>('pg_notify', [eb.val(VIEWER_CLOSE_CHANNEL), eb.val(payload)]).as('n'))
    .execute();
}

/** The request a NOTIFY payload carries, or undefined for one that is not ours to act on. */
export function parseViewerClose(payload: string): ViewerCloseRequest | undefined {
  try {
    const value = JSON.parse(payload) as Record<string, unknown>;
    const sessionId = typeof value.session_id === 'string' && isUuid(value.session_id) ? value.session_id : undefined;
    const shareId = typeof value.share_id === 'string' && isUuid(value.share_id) ? value.share_id : undefined;
    if ((!sessionId && !shareId) || typeof value.reason !== 'string') return undefined;
    return { sessionId, shareId, reason: value.reason };
  } catch {
    return undefined;
  }
}

/** Whether a viewer of `sessionId` (redeemed through `shareId`, if any) is one the request names. */
export function viewerMatches(request: ViewerCloseRequest, viewer: { sessionId: string; shareId: string | null }) {
  if (request.sessionId && request.sessionId !== viewer.sessionId) return false;
  if (request.shareId && request.shareId !== viewer.shareId) return false;
  return true;
}

/** Subscribes a replica's proxy to close requests from any replica. */
export function listenForViewerClose(
  database: Database,
  onClose: (request: ViewerCloseRequest) => void,
): Promise<Unlisten> {
  return database.listen(VIEWER_CLOSE_CHANNEL, (payload) => {
    const request = parseViewerClose(payload);
    if (request) onClose(request);
  });
}
