import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { bumpTokenVersion, findUserById, findUserByUsername } from '../../db/queries/users.js';
import { recordAudit } from '../../db/queries/audit.js';
import { caller } from '../../auth/authenticate.js';
import { refuseDisallowedPasswordLogin } from '../../auth/local-login.js';
import { NotFoundError, TooManyRequestsError, UnauthorizedError } from '../../errors.js';
import type { ApiContext } from '../context.js';
import { LoginRequest, UserBody, errors } from '../schemas.js';
import { LoginStepResponse } from '../mfa-schemas.js';
import { afterPassword } from '../login-completion.js';
import { publicUser } from './users.js';

export function authRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.post<{ Body: LoginRequest }>(
    '/api/v1/auth/login',
    {
      schema: {
        summary: 'Log in; returns a bearer token, or an mfa_token for POST /api/v1/auth/mfa when two-factor is on',
        tags: ['auth'],
        body: LoginRequest,
        response: { 200: LoginStepResponse, ...errors(400, 401, 403, 429, 503) },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      const ip = request.ip;
      // Counted before the check: parallel guesses cannot all reach argon2 (login-limiter.ts).
      const attempt = await ctx.limiter.reserve(username, ip);
      if (!attempt.ok) {
        request.log.warn({ username, ip }, 'login refused: too many failed attempts');
        // Audited as its own action: no password was checked (auth.login_failed counts checks).
        await recordAudit(ctx.db, {
          actorUserId: null,
          actor: username,
          action: 'auth.login_throttled',
          targetType: 'user',
          targetId: null,
          details: { retry_after_s: attempt.retryAfterS },
          ip,
        });
        throw new TooManyRequestsError(
          `Too many failed logins; try again in ${attempt.retryAfterS} s`,
          attempt.retryAfterS,
        );
      }
      const user = await findUserByUsername(ctx.db, username);
      // LOCAL_LOGIN=false and single sign-on accounts (auth/local-login.ts).
      await refuseDisallowedPasswordLogin(ctx.db, ctx.signIn, request, username, user);
      // Verify against a decoy when the user is unknown so both failures take the same time.
      const ok = await ctx.passwords.verify(user?.password_hash, password);
      if (!user || !ok || user.disabled) {
        const why = !user ? 'unknown user' : !ok ? 'wrong password' : 'user disabled';
        request.log.info({ username, ip, reason: why }, `login failed: ${why}`);
        await recordAudit(ctx.db, {
          actorUserId: user?.id ?? null,
          actor: username,
          action: 'auth.login_failed',
          targetType: 'user',
          targetId: user?.id ?? null,
          details: { reason: why },
          ip,
        });
        throw new UnauthorizedError(
          user?.disabled && ok ? 'This account is disabled; ask an administrator' : 'Invalid username or password',
        );
      }
      await ctx.limiter.recordSuccess(username, ip);
      return afterPassword(ctx, ip, user);
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'The logged-in user',
        tags: ['auth'],
        security: [{ bearer: [] }],
        response: { 200: UserBody, ...errors(401) },
      },
    },
    async (request) => {
      const me = await findUserById(ctx.db, caller(request).userId);
      if (!me) throw new NotFoundError('user', caller(request).username);
      return publicUser(me);
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'Log out: revokes every token of the logged-in user (all devices)',
        tags: ['auth'],
        security: [{ bearer: [] }],
        response: { 204: Type.Null(), ...errors(401) },
      },
    },
    async (request, reply) => {
      const me = caller(request);
      await bumpTokenVersion(ctx.db, me.userId);
      ctx.access.changed(me.userId);
      await recordAudit(ctx.db, {
        actorUserId: me.userId,
        actor: me.username,
        action: 'auth.logout',
        targetType: 'user',
        targetId: me.userId,
        ip: request.ip,
      });
      return reply.code(204).send();
    },
  );
}
