import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../db/queries/audit.js';
import { ApiError, ConflictError, TooManyRequestsError } from '../errors.js';
import type { Attempt } from '../auth/login-limiter.js';
import type { SecondFactor } from '../auth/mfa-service.js';
import type { ApiContext } from './context.js';

type Failure = Extract<SecondFactor, { ok: false }>['reason'];

const MESSAGES: Record<Exclude<Failure, 'unreadable_secret'>, string> = {
  wrong_code:
    'Wrong code: enter the 6-digit code your authenticator app shows now (check that the phone keeps the right time), or one of your recovery codes',
  reused_code: 'This code was used already: wait for the next one from your authenticator app (a new one every 30 s)',
  wrong_recovery_code: 'This recovery code is wrong or was used already: each recovery code works once',
  not_enrolled: 'Two-factor authentication is not on for this account',
};

/**
 * The client's error for a refused code, with the status the route answers with (401 at login,
 * 403 where a logged-in user proves it is them, 400 for a confirming code). A secret that no longer
 * opens (JWT_SECRET changed) is the operator's problem, said as such.
 */
export function codeRefused(request: FastifyRequest, reason: Failure, status: 400 | 401 | 403): ApiError {
  if (reason === 'unreadable_secret') {
    request.log.error('stored TOTP secret cannot be decrypted: was JWT_SECRET changed?');
    return new ConflictError(
      'The stored two-factor secret cannot be read (the server key changed): ask an administrator to reset your two-factor authentication',
      'mfa_secret_unreadable',
    );
  }
  const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'bad_request';
  return new ApiError(status, code, MESSAGES[reason], status === 401 ? { 'www-authenticate': 'Bearer' } : {});
}

/** Throws 429 with Retry-After when the code throttle (login-limiter.ts) holds this user or address. */
export function ensureAdmitted(attempt: Attempt): void {
  if (!attempt.ok) {
    throw new TooManyRequestsError(`Too many wrong codes; try again in ${attempt.retryAfterS} s`, attempt.retryAfterS);
  }
}

/** Records a refused code: where (login, confirm, disable) and why; never the code. */
export function auditCodeRefused(
  ctx: ApiContext,
  request: FastifyRequest,
  user: { id: string; username: string },
  step: 'login' | 'confirm' | 'disable',
  reason: string,
): Promise<void> {
  request.log.info({ userId: user.id, step, reason }, 'two-factor code refused');
  return recordAudit(ctx.db, {
    actorUserId: user.id,
    actor: user.username,
    action: 'auth.mfa_failed',
    targetType: 'user',
    targetId: user.id,
    details: { step, reason },
    ip: request.ip,
  });
}
