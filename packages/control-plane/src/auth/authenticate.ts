import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { TokenClaims, TokenService } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: TokenClaims | undefined;
  }
}

/** Reads `Authorization: Bearer <jwt>`; the operator's log gets the precise reason, the client a
 * message that says what to do. */
export function makeAuthenticate(tokens: TokenService) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply) {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) {
      throw new UnauthorizedError(
        'Missing bearer token: log in with POST /api/v1/auth/login and send Authorization: Bearer <token>',
      );
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
    request.user = check.claims;
  };
}

export async function requireAdmin(request: FastifyRequest) {
  if (request.user?.role !== 'admin') {
    throw new ForbiddenError('This action needs the admin role');
  }
}

/** For handlers behind `authenticate`: the caller, never undefined there. */
export function caller(request: FastifyRequest): TokenClaims {
  if (!request.user) throw new UnauthorizedError('Not authenticated');
  return request.user;
}
