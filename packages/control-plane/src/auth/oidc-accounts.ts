import type { Kysely } from 'kysely';
import type { Schema, User } from '../db/schema.js';
import { updateUser } from '../db/queries/users.js';
import { findUserByIdentity, linkIdentity, touchIdentity } from '../db/queries/user-identities.js';
import { recordAudit } from '../db/queries/audit.js';
import type { OidcProfile } from './oidc-claims.js';
import { OidcLoginError } from './oidc-errors.js';

export interface AccountSignIn {
  issuer: string;
  profile: OidcProfile;
  /** From the groups; null: keep the account's role (OIDC_ADMIN_GROUPS is empty). */
  role: 'admin' | 'user' | null;
  ip: string;
}

/**
 * The StreamSpace user for a single sign-on: found by (issuer, subject), or created on the first
 * sign-in with no local password. The role follows the groups at every sign-in (when
 * OIDC_ADMIN_GROUPS is set). A user name that
 * already belongs to another account is refused, not suffixed or taken over: linking by name would
 * hand a local account (or another provider's) to whoever the provider calls by that name, and a
 * suffixed name ("alice-2") would leave people unsure who is who. An administrator resolves it.
 */
export async function signInAccount(
  db: Kysely<Schema>,
  signIn: AccountSignIn,
  onRoleChange: (userId: string) => void,
): Promise<User> {
  const { issuer, profile } = signIn;
  const existing = await findUserByIdentity(db, issuer, profile.subject);
  const user = existing ?? (await createAccount(db, signIn));
  if (user.disabled) {
    throw new OidcLoginError('user disabled', 'This account is disabled; ask an administrator.', {
      username: user.username,
    });
  }
  if (!existing) return user;
  await touchIdentity(db, issuer, profile.subject);
  const role = signIn.role ?? user.role;
  const profileChanged =
    (profile.email !== null && profile.email !== user.email) ||
    (profile.displayName !== null && profile.displayName !== user.display_name);
  if (user.role === role && !profileChanged) return user;
  const updated = await updateUser(
    db,
    user.id,
    {
      role,
      ...(profile.email !== null ? { email: profile.email } : {}),
      ...(profile.displayName !== null ? { display_name: profile.displayName } : {}),
    },
    // A lowered role ends the user's other logins, as an admin's demotion does (routes/users.ts).
    { revokeTokens: user.role === 'admin' && role === 'user' },
  );
  if (user.role !== role) {
    onRoleChange(user.id);
    await recordAudit(db, {
      actorUserId: user.id,
      actor: user.username,
      action: 'user.update',
      targetType: 'user',
      targetId: user.id,
      details: { fields: ['role'], role, previous_role: user.role, source: 'oidc groups', issuer },
      ip: signIn.ip,
    });
  }
  return updated ?? user;
}

async function createAccount(db: Kysely<Schema>, signIn: AccountSignIn): Promise<User> {
  const { issuer, profile } = signIn;
  const role = signIn.role ?? 'user';
  const created = await db
    .transaction()
    .execute(async (trx) => {
      const user = await trx
        .insertInto('users')
        .values({
          username: profile.username,
          password_hash: null,
          role,
          email: profile.email,
          display_name: profile.displayName,
        })
        .onConflict((oc) => oc.column('username').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!user) return undefined;
      // Another replica finishing the same person's first sign-in at the same moment linked first:
      // this row is rolled back and theirs is used.
      if (!(await linkIdentity(trx, issuer, profile.subject, user.id))) throw new LinkedMeanwhile();
      await recordAudit(trx, {
        actorUserId: user.id,
        actor: user.username,
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        details: { username: user.username, role, method: 'oidc', issuer },
        ip: signIn.ip,
      });
      return user;
    })
    .catch(async (error: unknown) => {
      if (!(error instanceof LinkedMeanwhile)) throw error;
      return findUserByIdentity(db, issuer, profile.subject);
    });
  if (created) return created;
  const linked = await findUserByIdentity(db, issuer, profile.subject);
  if (linked) return linked;
  throw new OidcLoginError(
    'username taken',
    `StreamSpace already has an account named "${profile.username}" that is not linked to your single sign-on, so it was not taken over. Ask an administrator: they can remove that account, or set OIDC_USERNAME_CLAIM to a claim that does not clash.`,
    { username: profile.username },
  );
}

class LinkedMeanwhile extends Error {}
