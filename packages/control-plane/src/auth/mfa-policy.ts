import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

export const MFA_REQUIRED_CHOICES = ['none', 'admins', 'all'] as const;
/** MFA_REQUIRED: whose accounts must have two-factor on before they may do anything. */
export type MfaRequired = (typeof MFA_REQUIRED_CHOICES)[number];

export function mfaDemanded(policy: MfaRequired, role: 'admin' | 'user'): boolean {
  return policy === 'all' || (policy === 'admins' && role === 'admin');
}

/**
 * What a user who must enroll may still reach: who they are, logging out, and enrollment itself.
 * Route patterns as registered (`request.routeOptions.url`), so the list cannot be dodged with
 * another spelling of the path.
 */
export const ENROLLMENT_ROUTES: ReadonlySet<string> = new Set([
  'GET /api/v1/auth/me',
  'POST /api/v1/auth/logout',
  'GET /api/v1/users/me',
  'GET /api/v1/users/me/mfa',
  'POST /api/v1/users/me/mfa/totp',
  'POST /api/v1/users/me/mfa/totp/confirm',
]);

export class MfaEnrollmentRequiredError extends ApiError {
  constructor(policy: MfaRequired) {
    super(
      403,
      'mfa_enrollment_required',
      `Set up two-factor authentication first: it is required for your account (MFA_REQUIRED=${policy}). Use the Account page, or POST /api/v1/users/me/mfa/totp then POST /api/v1/users/me/mfa/totp/confirm with a code`,
    );
  }
}

/**
 * Enforced in `authenticate`, on the user's current row (role and whether two-factor is on), not on
 * a claim in the token: a login from before MFA_REQUIRED was set, a user promoted to admin, or one
 * whose two-factor was reset is held to enrollment just the same, and the UI cannot skip it.
 */
export function enforceMfaEnrollment(
  request: FastifyRequest,
  policy: MfaRequired,
  role: 'admin' | 'user',
  mfaEnabled: boolean,
): void {
  if (mfaEnabled || !mfaDemanded(policy, role)) return;
  if (ENROLLMENT_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`)) return;
  throw new MfaEnrollmentRequiredError(policy);
}
