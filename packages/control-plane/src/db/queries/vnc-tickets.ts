import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

export async function insertTicket(
  db: Kysely<Schema>,
  ticket: {
    hash: string;
    sessionId: string;
    userId: string;
    ttlMs: number;
    /** The minting login's token version and expiry. */
    tokenVersion: number;
    tokenExpiresAt: Date;
    /** What the proxy holds the stream to (migration 0017): a share's mode, else control. */
    mode?: 'control' | 'view';
    /** The share a guest redeemed, so the proxy can close its viewers when it ends. */
    shareId?: string | null;
  },
): Promise<Date> {
  const row = await db
    .insertInto('vnc_tickets')
    .values({
      ticket_hash: ticket.hash,
      session_id: ticket.sessionId,
      user_id: ticket.userId,
      token_version: ticket.tokenVersion,
      token_expires_at: ticket.tokenExpiresAt,
      mode: ticket.mode ?? 'control',
      share_id: ticket.shareId ?? null,
      expires_at: sql<Date>`NOW() + ${ticket.ttlMs}::double precision * INTERVAL '1 millisecond'`,
    })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return row.expires_at;
}

/** Marks the ticket used if it is for `sessionId`, unused and unexpired; returns its user, the
 * minting login and the mode (and share) the stream is held to, once. */
export function redeemTicket(db: Kysely<Schema>, hash: string, sessionId: string) {
  return db
    .updateTable('vnc_tickets')
    .set({ used_at: sql<Date>`NOW()` })
    .where('ticket_hash', '=', hash)
    .where('session_id', '=', sessionId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`NOW()`)
    .returning(['user_id', 'token_version', 'token_expires_at', 'mode', 'share_id'])
    .executeTakeFirst();
}

/** Tickets live seconds; the maintenance loop drops the old ones. */
export function deleteExpiredTickets(db: Kysely<Schema>) {
  return db
    .deleteFrom('vnc_tickets')
    .where('expires_at', '<', sql<Date>`NOW() - INTERVAL '1 hour'`)
    .execute();
}
