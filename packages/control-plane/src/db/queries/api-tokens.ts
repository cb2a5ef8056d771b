import { sql, type Kysely } from 'kysely';
import type { ApiToken, Schema } from '../schema.js';

type Db = Kysely<Schema>;

/** A token with its owner's name, as lists show it. */
export type ApiTokenRow = ApiToken & { username: string };

export function insertApiToken(
  db: Db,
  token: Pick<ApiToken, 'user_id' | 'name' | 'token_hash' | 'hint' | 'expires_at'>,
): Promise<ApiToken> {
  return db.insertInto('api_tokens').values(token).returningAll().executeTakeFirstOrThrow();
}

export function findApiTokenByHash(db: Db, tokenHash: string): Promise<ApiToken | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/**
 * Records a use unless one was recorded in the last `everySeconds`: the condition sits in the
 * UPDATE, so concurrent requests (on any replica) write the row once, not once each.
 */
export async function touchApiToken(db: Db, id: string, from: string, everySeconds: number): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: sql<Date>`NOW()`, last_used_from: from })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`NOW() - make_interval(secs => ${everySeconds})`),
      ]),
    )
    .execute();
}

const withOwner = (db: Db) =>
  db.selectFrom('api_tokens as t').innerJoin('users as u', 'u.id', 't.user_id').selectAll('t').select('u.username');

/** Newest first; all users' tokens when `userId` is undefined. */
export function listApiTokens(db: Db, userId: string | undefined): Promise<ApiTokenRow[]> {
  let query = withOwner(db).orderBy('t.created_at', 'desc').orderBy('t.id');
  if (userId !== undefined) query = query.where('t.user_id', '=', userId);
  return query.execute();
}

export function findApiToken(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  return withOwner(db).where('t.id', '=', id).executeTakeFirst();
}

/** Revokes the token unless it already is; undefined when there was nothing to revoke. */
export function revokeApiToken(db: Db, id: string, revokedBy: string): Promise<ApiToken | undefined> {
  return db
    .updateTable('api_tokens')
    .set({ revoked_at: sql<Date>`NOW()`, revoked_by: revokedBy })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}
