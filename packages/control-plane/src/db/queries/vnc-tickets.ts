import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

export async function insertTicket(
  db: Kysely<Schema>,
  ticket: { hash: string; sessionId: string; userId: string; ttlMs: number },
): Promise<Date> {
  const row = await db
    .insertInto('vnc_tickets')
    .values({
      ticket_hash: ticket.hash,
      session_id: ticket.sessionId,
      user_id: ticket.userId,
      expires_at: sql<Date>`NOW() + ${ticket.ttlMs}::double precision * INTERVAL '1 millisecond'`,
    })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return row.expires_at;
}

/** Marks the ticket used if it is for `sessionId`, unused and unexpired; returns its user, once. */
export function redeemTicket(db: Kysely<Schema>, hash: string, sessionId: string) {
  return db
    .updateTable('vnc_tickets')
    .set({ used_at: sql<Date>`NOW()` })
    .where('ticket_hash', '=', hash)
    .where('session_id', '=', sessionId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`NOW()`)
    .returning(['user_id'])
    .executeTakeFirst();
}

/** Tickets live seconds; the maintenance loop drops the old ones. */
export function deleteExpiredTickets(db: Kysely<Schema>) {
  return db
    .deleteFrom('vnc_tickets')
    .where('expires_at', '<', sql<Date>`NOW() - INTERVAL '1 hour'`)
    .execute();
}
