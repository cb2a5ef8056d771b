import { Type } from 'typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bumpTokenVersion, findUserById } from '../../db/queries/users.js';
import { caller, requireAdmin } from '../../auth/authenticate.js';
import { mfaDemanded } from '../../auth/mfa-policy.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, TooManyRequestsError } from '../../errors.js';
import { isUuid } from '../../ids.js';
import { auditRequest } from '../audit-request.js';
import { auditCodeRefused, codeRefused, ensureAdmitted } from '../mfa-errors.js';
import type { ApiContext } from '../context.js';
import { IdParam, errors } from '../schemas.js';
import {
  ConfirmTotpRequest,
  DisableTotpRequest,
  MfaStatusBody,
  RecoveryCodesBody,
  TotpEnrollmentBody,
} from '../mfa-schemas.js';

/** Two-factor for the logged-in user (status, enroll, confirm, turn off) and the admin's reset. */
export function mfaRoutes(app: FastifyInstance, ctx: ApiContext) {
  const me = { onRequest: ctx.authenticate };
  const security = [{ bearer: [] }];
  const tags = ['mfa'];

  const currentUser = async (request: FastifyRequest) => {
    const user = await findUserById(ctx.db, caller(request).userId);
    if (!user) throw new NotFoundError('user', caller(request).username);
    return user;
  };

  app.get(
    '/api/v1/users/me/mfa',
    {
      ...me,
      schema: {
        summary: 'Whether two-factor is on for you, and whether MFA_REQUIRED demands it',
        tags,
        security,
        response: { 200: MfaStatusBody, ...errors(401) },
      },
    },
    async (request) => {
      const { userId, role } = caller(request);
      return { ...(await ctx.mfa.status(userId)), required: mfaDemanded(ctx.mfa.required, role) };
    },
  );

  app.post(
    '/api/v1/users/me/mfa/totp',
    {
      ...me,
      schema: {
        summary: 'Start TOTP enrollment: a new secret, not in force until confirmed with a code',
        tags,
        security,
        response: { 200: TotpEnrollmentBody, ...errors(401, 409) },
      },
    },
    async (request) => {
      const { userId, username } = caller(request);
      const enrollment = await ctx.mfa.begin({ id: userId, username });
      if (!enrollment) {
        throw new ConflictError(
          'Two-factor authentication is on already; turn it off first (DELETE /api/v1/users/me/mfa/totp) to set up another device',
          'mfa_already_enabled',
        );
      }
      return enrollment;
    },
  );

  app.post<{ Body: ConfirmTotpRequest }>(
    '/api/v1/users/me/mfa/totp/confirm',
    {
      ...me,
      schema: {
        summary: 'Turn TOTP on with a code from the new secret; returns ten single-use recovery codes, once',
        tags,
        security,
        body: ConfirmTotpRequest,
        response: { 200: RecoveryCodesBody, ...errors(400, 401, 409, 429) },
      },
    },
    async (request) => {
      const user = await currentUser(request);
      ensureAdmitted(await ctx.limiter.reserveCode(user.id, request.ip));
      const result = await ctx.mfa.confirm(user.id, request.body.code);
      if (!result.ok) {
        if (result.reason === 'not_started') {
          throw new ConflictError(
            'No enrollment to confirm: start with POST /api/v1/users/me/mfa/totp',
            'mfa_not_started',
          );
        }
        if (result.reason === 'already_enabled') {
          throw new ConflictError('Two-factor authentication is on already', 'mfa_already_enabled');
        }
        await auditCodeRefused(ctx, request, user, 'confirm', result.reason);
        throw codeRefused(request, result.reason, 400);
      }
      await ctx.limiter.recordCodeSuccess(user.id, request.ip);
      ctx.access.changed(user.id);
      await auditRequest(ctx, request, { action: 'auth.mfa_enrolled', targetType: 'user', targetId: user.id });
      return { recovery_codes: result.recoveryCodes };
    },
  );

  app.delete<{ Body: DisableTotpRequest | undefined }>(
    '/api/v1/users/me/mfa/totp',
    {
      ...me,
      schema: {
        summary: 'Turn TOTP off; needs a current code (or a recovery code) or your password',
        tags,
        security,
        body: DisableTotpRequest,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 409, 429) },
      },
    },
    async (request, reply) => {
      const user = await currentUser(request);
      const { code, password } = request.body ?? {};
      if ((code === undefined) === (password === undefined)) {
        throw new BadRequestError('Send either code (from your authenticator app, or a recovery code) or password');
      }
      if (!(await ctx.mfa.isEnabled(user.id))) {
        // A pending enrollment goes without proof: it never protected anything.
        if (await ctx.mfa.disable(user.id)) return reply.code(204).send();
        throw new ConflictError('Two-factor authentication is not on for this account', 'mfa_not_enabled');
      }
      let method: string;
      if (code !== undefined) {
        ensureAdmitted(await ctx.limiter.reserveCode(user.id, request.ip));
        const result = await ctx.mfa.verify(user.id, code);
        if (!result.ok) {
          await auditCodeRefused(ctx, request, user, 'disable', result.reason);
          throw codeRefused(request, result.reason, 403);
        }
        await ctx.limiter.recordCodeSuccess(user.id, request.ip);
        method = result.method;
      } else {
        const attempt = await ctx.limiter.reserve(user.username, request.ip);
        if (!attempt.ok) {
          throw new TooManyRequestsError(
            `Too many wrong passwords; try again in ${attempt.retryAfterS} s`,
            attempt.retryAfterS,
          );
        }
        if (!(await ctx.passwords.verify(user.password_hash, password!))) {
          await auditCodeRefused(ctx, request, user, 'disable', 'wrong_password');
          throw new ForbiddenError('password is wrong');
        }
        await ctx.limiter.recordSuccess(user.username, request.ip);
        method = 'password';
      }
      await ctx.mfa.disable(user.id);
      ctx.access.changed(user.id);
      await auditRequest(ctx, request, {
        action: 'auth.mfa_disabled',
        targetType: 'user',
        targetId: user.id,
        details: { proof: method },
      });
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/users/:id/mfa',
    {
      onRequest: ctx.authenticate,
      preHandler: requireAdmin,
      schema: {
        summary: "Reset a user's two-factor (admin): it is turned off and the user's logins are revoked",
        tags,
        security,
        params: IdParam,
        response: { 204: Type.Null(), ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const target = isUuid(request.params.id) ? await findUserById(ctx.db, request.params.id) : undefined;
      if (!target) throw new NotFoundError('user', request.params.id);
      if (!(await ctx.mfa.disable(target.id))) {
        throw new ConflictError(`${target.username} has no two-factor authentication to reset`, 'mfa_not_enabled');
      }
      // Whoever sets up the next authenticator does it after a fresh password login, not with a
      // login that may be the reason for the reset.
      await bumpTokenVersion(ctx.db, target.id);
      ctx.access.changed(target.id);
      await auditRequest(ctx, request, {
        action: 'user.mfa_reset',
        targetType: 'user',
        targetId: target.id,
        details: { username: target.username },
      });
      return reply.code(204).send();
    },
  );
}
