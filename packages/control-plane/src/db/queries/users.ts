import type { Kysely } from 'kysely';
import type { Schema, User } from '../schema.js';

import { WARM_POOL_OWNER_ID } from '../../warm-pools/warm-spec.js';

type Db = Kysely<Schema>;

export function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export function findUserById(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** What a login check needs of a user's row, whether two-factor is on and whether the user signs
 * in with single sign-on (MFA_REQUIRED). */
export type UserState = Pick<User, 'id' | 'username' | 'role' | 'disabled' | 'token_version'> & {
  mfa_enabled: boolean;
  single_sign_on: boolean;
};

export function findUserStates(db: Db, ids: string[]): Promise<UserState[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('users')
    .select(['id', 'username', 'role', 'disabled', 'token_version'])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('user_totp')
            .select('user_totp.user_id')
            .whereRef('user_totp.user_id', '=', 'users.id')
            .where('user_totp.enabled_at', 'is not', null),
        )
        .$castTo<boolean>()
        .as('mfa_enabled'),
    )
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('user_identities')
            .select('user_identities.user_id')
            .whereRef('user_identities.user_id', '=', 'users.id'),
        )
        .$castTo<boolean>()
        .as('single_sign_on'),
    )
    .where('id', 'in', ids)
    .execute();
}

/** Revokes every token of the user issued so far. */
export async function bumpTokenVersion(db: Db, id: string): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({ token_version: eb('token_version', '+', 1), updated_at: new Date() }))
    .where('id', '=', id)
    .execute();
}

/** Every account; the warm pool's owner (migration 0021) is not one. */
export function listUsers(db: Db): Promise<User[]> {
  return db.selectFrom('users').selectAll().where('id', '!=', WARM_POOL_OWNER_ID).orderBy('username').execute();
}

export function insertUser(
  db: Db,
  user: Pick<User, 'username' | 'password_hash' | 'role'> & Partial<Pick<User, 'email' | 'display_name'>>,
): Promise<User> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

/** Inserts unless the username exists; undefined when another replica got there first. */
export function insertUserIfAbsent(
  db: Db,
  user: Pick<User, 'username' | 'password_hash' | 'role'>,
): Promise<User | undefined> {
  return db
    .insertInto('users')
    .values(user)
    .onConflict((oc) => oc.column('username').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function updateUser(
  db: Db,
  id: string,
  changes: Partial<
    Pick<
      User,
      'password_hash' | 'role' | 'disabled' | 'email' | 'display_name' | 'max_sessions' | 'admin_password_applied'
    >
  >,
  options: { revokeTokens?: boolean } = {},
): Promise<User | undefined> {
  return db
    .updateTable('users')
    .set((eb) => ({
      ...changes,
      ...(options.revokeTokens ? { token_version: eb('token_version', '+', 1) } : {}),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteUser(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function countEnabledAdmins(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled', '=', false)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
