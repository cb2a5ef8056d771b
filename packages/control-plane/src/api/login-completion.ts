import type { User } from '../db/schema.js';
import { recordAudit } from '../db/queries/audit.js';
import { mfaDemanded } from '../auth/mfa-policy.js';
import type { ApiContext } from './context.js';
import { publicUser } from './routes/users.js';

/** Issues the session token for a user who has proved who they are, and records the login. */
export async function completeLogin(ctx: ApiContext, ip: string, user: User, details?: Record<string, unknown>) {
  const { token, expiresAt } = await ctx.tokens.issue({
    userId: user.id,
    username: user.username,
    role: user.role,
    tokenVersion: user.token_version,
  });
  await recordAudit(ctx.db, {
    actorUserId: user.id,
    actor: user.username,
    action: 'auth.login',
    targetType: 'user',
    targetId: user.id,
    details,
    ip,
  });
  return { token, expires_at: expiresAt.toISOString(), user: publicUser(user) };
}

/**
 * What a right password leads to: with two-factor on, the second step (an mfa_token for
 * POST /auth/mfa, no session token); else a session token, flagged when MFA_REQUIRED still wants
 * enrollment (authenticate then lets it reach only the enrollment routes).
 */
export async function afterPassword(ctx: ApiContext, ip: string, user: User) {
  if (await ctx.mfa.isEnabled(user.id)) return { mfa_required: true as const, ...(await ctx.mfa.challenge(user)) };
  if (!mfaDemanded(ctx.mfa.required, user.role)) return completeLogin(ctx, ip, user);
  const login = await completeLogin(ctx, ip, user, { mfa_enrollment_required: true });
  return { ...login, mfa_enrollment_required: true as const };
}
