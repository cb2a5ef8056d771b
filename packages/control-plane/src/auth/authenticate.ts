import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { TokenClaims, TokenService } from './tokens.js';
import { secondFactorInPlace, type Grant, type UserAccess } from './user-access.js';
import { enforceMfaEnrollment, type MfaRequired } from './mfa-policy.js';
import { isApiToken } from './api-tokens.js';
import type { ApiTokenAuth } from './api-token-auth.js';

/** The caller as the database sees them now, and the login they came with. */
export interface AuthenticatedUser extends TokenClaims {
  grant: Grant;
  /** Set when the caller came with a personal API token rather than a login. */
  apiTokenId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser | undefined;
  }
}

/** Reads `Authorization: Bearer <jwt>` and checks it against the user's current row (disabled,
 * token version; the role is the row's). The operator's log gets the precise reason, the client a
 * message that says what to do. Personal API tokens (`ssp_…`) are checked by `apiTokens`. A user
 * whom MFA_REQUIRED covers and who has no two-factor yet reaches only the enrollment routes
 * (mfa-policy.ts), whichever credential they come with. */
export function makeAuthenticate(
  tokens: TokenService,
  access: UserAccess,
  options: { mfaRequired?: MfaRequired; apiTokens?: ApiTokenAuth } = {},
) {
  const { mfaRequired = 'none', apiTokens } = options;
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply) {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) {
      throw new UnauthorizedError(
        'Missing bearer token: log in with POST /api/v1/auth/login and send Authorization: Bearer <token>',
      );
    }
    if (apiTokens && isApiToken(match[1]!)) {
      const user = (request.user = await apiTokens.authenticate(match[1]!, request.ip, request.log));
      const state = await access.state(user.userId);
      enforceMfaEnrollment(request, mfaRequired, user.role, state !== undefined && secondFactorInPlace(state));
      return;
    }
    const check = await tokens.verify(match[1]!);
    if (!check.ok) {
      request.log.info({ reason: check.reason, detail: check.detail }, 'rejected bearer token');
      throw new UnauthorizedError(
        check.reason === 'expired'
          ? 'Token expired: log in again with POST /api/v1/auth/login'
          : 'Token invalid (bad signature or claims): log in again with POST /api/v1/auth/login',
      );
    }
    const { tokenVersion, expiresAt, userId } = check.claims;
    const grant = { userId, tokenVersion, expiresAt };
    const current = await access.check(grant);
    if (!current.ok) {
      request.log.info({ reason: current.reason, userId }, 'rejected bearer token');
      throw new UnauthorizedError(current.message);
    }
    request.user = { ...current.user, grant };
    enforceMfaEnrollment(request, mfaRequired, current.user.role, current.mfaEnabled);
  };
}

export async function requireAdmin(request: FastifyRequest) {
  if (request.user?.role !== 'admin') {
    throw new ForbiddenError('This action needs the admin role');
  }
}

/** For handlers behind `authenticate`: the caller, never undefined there. */
export function caller(request: FastifyRequest): AuthenticatedUser {
  if (!request.user) throw new UnauthorizedError('Not authenticated');
  return request.user;
}
