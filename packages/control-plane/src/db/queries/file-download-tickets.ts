import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

export interface NewFileDownloadTicket {
  hash: string;
  sessionId: string;
  userId: string;
  path: string;
  shareId: string | null;
  tokenVersion: number;
  tokenExpiresAt: Date;
  apiTokenHash: string | null;
  ttlMs: number;
}

/** Stores a download link's hash; the database's clock sets its expiry, as every replica reads it. */
export async function insertFileDownloadTicket(db: Kysely<Schema>, ticket: NewFileDownloadTicket): Promise<Date> {
  const row = await db
    .insertInto('file_download_tickets')
    .values({
      ticket_hash: ticket.hash,
      session_id: ticket.sessionId,
      user_id: ticket.userId,
      path: ticket.path,
      share_id: ticket.shareId,
      token_version: ticket.tokenVersion,
      token_expires_at: ticket.tokenExpiresAt,
      api_token_hash: ticket.apiTokenHash,
      expires_at: sql<Date>`NOW() + ${ticket.ttlMs}::double precision * INTERVAL '1 millisecond'`,
    })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return row.expires_at;
}

/** Marks the link used if it is unused and unexpired, in one statement: it works once, on any replica. */
export function redeemFileDownloadTicket(db: Kysely<Schema>, hash: string) {
  return db
    .updateTable('file_download_tickets')
    .set({ used_at: sql<Date>`NOW()` })
    .where('ticket_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`NOW()`)
    .returning(['session_id', 'user_id', 'path', 'share_id', 'token_version', 'token_expires_at', 'api_token_hash'])
    .executeTakeFirst();
}

/** Links live a minute; the maintenance loop drops used and expired ones. */
export function deleteSpentFileDownloadTickets(db: Kysely<Schema>) {
  return db
    .deleteFrom('file_download_tickets')
    .where((eb) => eb.or([eb('used_at', 'is not', null), eb('expires_at', '<', sql<Date>`NOW()`)]))
    .execute();
}
