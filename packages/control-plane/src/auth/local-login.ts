import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema, User } from '../db/schema.js';
import { recordAudit } from '../db/queries/audit.js';
import { hasIdentity } from '../db/queries/user-identities.js';
import { ApiError } from '../errors.js';
import type { OidcLogin } from './oidc-login.js';

/** Which ways of signing in this control plane offers (LOCAL_LOGIN, OIDC_*). */
export interface SignInMethods {
  /** Password login for everyone; false: only for `breakGlassUsername`. */
  localLogin: boolean;
  /** The bootstrap administrator (ADMIN_USERNAME): keeps password login when LOCAL_LOGIN is false. */
  breakGlassUsername: string;
  oidc: OidcLogin | undefined;
}

export class PasswordLoginRefusedError extends ApiError {
  constructor(message: string) {
    super(403, 'password_login_refused', message);
  }
}

/**
 * Refuses a password login the configuration does not allow, before any password is checked:
 * everyone but the bootstrap administrator when LOCAL_LOGIN is false, and users of single sign-on
 * (they have no password, and one set for them by an administrator is not honoured). Audited as a failed login; throws the refusal.
 */
export async function refuseDisallowedPasswordLogin(
  db: Kysely<Schema>,
  methods: SignInMethods,
  request: FastifyRequest,
  username: string,
  user: User | undefined,
): Promise<void> {
  const sso = methods.oidc ? `use “${methods.oidc.label}” on the login page` : 'ask an administrator';
  let reason: string | undefined;
  let message = '';
  if (!methods.localLogin && username !== methods.breakGlassUsername) {
    reason = 'password login disabled';
    message = `Password login is turned off on this server (LOCAL_LOGIN=false); ${sso}.`;
  } else if (user && (user.password_hash === null || (await hasIdentity(db, user.id)))) {
    // Linked to an identity provider: even a password an administrator set does not sign in here.
    reason = 'single sign-on account';
    message = `This account signs in through single sign-on and has no password; ${sso}.`;
  }
  if (reason === undefined) return;
  request.log.info({ username, ip: request.ip, reason }, `login refused: ${reason}`);
  await recordAudit(db, {
    actorUserId: user?.id ?? null,
    actor: username,
    action: 'auth.login_failed',
    targetType: 'user',
    targetId: user?.id ?? null,
    details: { method: 'password', reason },
    ip: request.ip,
  });
  throw new PasswordLoginRefusedError(message);
}
