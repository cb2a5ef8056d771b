import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { endedSharesWithViewers } from '../db/queries/session-shares.js';
import { closeViewers } from '../vnc/viewer-close.js';

/**
 * Closes the viewers still connected through an expired share (revoking closes its own at once; a
 * revoked share shows up here only if that close was lost). Run by every replica's maintenance
 * tick; closing is idempotent, so replicas doing it together agree. Returns the shares it closed.
 */
export async function closeEndedShareViewers(db: Kysely<Schema>): Promise<number> {
  const ended = await endedSharesWithViewers(db);
  for (const share of ended) {
    const reason = share.revoked_at ? 'share revoked' : 'share link expired';
    await closeViewers(db, { shareId: share.id, reason });
  }
  return ended.length;
}
