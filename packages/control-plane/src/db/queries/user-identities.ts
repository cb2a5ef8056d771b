import type { Kysely, Transaction } from 'kysely';
import type { Schema, User } from '../schema.js';

type Db = Kysely<Schema> | Transaction<Schema>;

/** The user a single sign-on identity is linked to. */
export function findUserByIdentity(db: Db, issuer: string, subject: string): Promise<User | undefined> {
  return db
    .selectFrom('user_identities as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .selectAll('u')
    .where('i.issuer', '=', issuer)
    .where('i.subject', '=', subject)
    .executeTakeFirst();
}

/** Links an identity; false when it is linked already (another replica's sign-in got there first). */
export async function linkIdentity(db: Db, issuer: string, subject: string, userId: string): Promise<boolean> {
  const row = await db
    .insertInto('user_identities')
    .values({ issuer, subject, user_id: userId })
    .onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function touchIdentity(db: Db, issuer: string, subject: string): Promise<void> {
  await db
    .updateTable('user_identities')
    .set({ last_login_at: new Date() })
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .execute();
}

/** True when the user signs in through single sign-on. */
export async function hasIdentity(db: Db, userId: string): Promise<boolean> {
  const row = await db.selectFrom('user_identities').select('user_id').where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}
