import type { FastifyInstance } from 'fastify';
import { findUserById } from '../../db/queries/users.js';
import { recordAudit } from '../../db/queries/audit.js';
import { UnauthorizedError } from '../../errors.js';
import type { ApiContext } from '../context.js';
import { LoginResponse, errors } from '../schemas.js';
import { MfaLoginRequest } from '../mfa-schemas.js';
import { auditCodeRefused, codeRefused, ensureAdmitted } from '../mfa-errors.js';
import { completeLogin } from '../login-completion.js';

const LOG_IN_AGAIN = 'log in again with POST /api/v1/auth/login';

/** The second step of a login with two-factor on: the mfa_token from /auth/login and a code. */
export function mfaLoginRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.post<{ Body: MfaLoginRequest }>(
    '/api/v1/auth/mfa',
    {
      schema: {
        summary: 'Finish a login with a TOTP code or a recovery code; returns a bearer token',
        tags: ['auth'],
        body: MfaLoginRequest,
        response: { 200: LoginResponse, ...errors(400, 401, 409, 429, 503) },
      },
    },
    async (request) => {
      const { mfa_token: mfaToken, code } = request.body;
      const ip = request.ip;
      const challenge = await ctx.mfa.challengeOf(mfaToken);
      if (!challenge) throw new UnauthorizedError(`mfa_token expired, used or unknown: ${LOG_IN_AGAIN}`);
      const user = await findUserById(ctx.db, challenge.user_id);
      // Disabled, logged out everywhere or given a new password since the password step.
      if (!user || user.disabled || user.token_version !== challenge.token_version) {
        throw new UnauthorizedError(`This login is no longer valid: ${LOG_IN_AGAIN}`);
      }
      ensureAdmitted(await ctx.limiter.reserveCode(user.id, ip));
      const result = await ctx.mfa.verify(user.id, code);
      if (!result.ok) {
        await auditCodeRefused(ctx, request, user, 'login', result.reason);
        throw codeRefused(request, result.reason, 401);
      }
      // Single use: of two requests with one mfa_token, only one gets a session token.
      if (!(await ctx.mfa.redeem(mfaToken))) {
        throw new UnauthorizedError(`mfa_token expired or used: ${LOG_IN_AGAIN}`);
      }
      await ctx.limiter.recordCodeSuccess(user.id, ip);
      if (result.method === 'recovery_code') {
        await recordAudit(ctx.db, {
          actorUserId: user.id,
          actor: user.username,
          action: 'auth.mfa_recovery_code_used',
          targetType: 'user',
          targetId: user.id,
          details: { codes_left: (await ctx.mfa.status(user.id)).recovery_codes_left },
          ip,
        });
      }
      return completeLogin(ctx, ip, user, { mfa: true, method: result.method });
    },
  );
}
