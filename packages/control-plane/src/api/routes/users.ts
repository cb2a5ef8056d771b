import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { User } from '../../db/schema.js';
import {
  countEnabledAdmins,
  deleteUser,
  findUserById,
  insertUser,
  listUsers,
  updateUser,
} from '../../db/queries/users.js';
import { usersWithTotp } from '../../db/queries/mfa.js';
import { activeApiTokenCounts } from '../../db/queries/admin-overview.js';
import { caller, requireAdmin } from '../../auth/authenticate.js';
import { auditRequest } from '../audit-request.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, TooManyRequestsError } from '../../errors.js';
import type { ApiContext } from '../context.js';
import { CreateUserRequest, IdParam, UpdateUserRequest, UserBody, errors } from '../schemas.js';
import { isUuid } from '../../ids.js';
import { WARM_POOL_OWNER_ID } from '../../warm-pools/warm-spec.js';

export function publicUser(user: User) {
  const { password_hash: _hidden, admin_password_applied: _applied, token_version: _version, ...rest } = user;
  return rest;
}

export function userRoutes(app: FastifyInstance, ctx: ApiContext) {
  const admin = { onRequest: ctx.authenticate, preHandler: requireAdmin };
  const security = [{ bearer: [] }];

  const load = async (id: string) => {
    const user = isUuid(id) ? await findUserById(ctx.db, id) : undefined;
    // The warm pool's owner (migration 0021) is not an account: it cannot be read, changed or enabled.
    if (!user || user.id === WARM_POOL_OWNER_ID) throw new NotFoundError('user', id);
    return user;
  };

  app.get(
    '/api/v1/users',
    {
      ...admin,
      schema: {
        summary: 'List users (admin)',
        tags: ['users'],
        security,
        response: { 200: Type.Array(UserBody), ...errors(401, 403) },
      },
    },
    async () => {
      const withMfa = await usersWithTotp(ctx.db);
      const tokens = await activeApiTokenCounts(ctx.db);
      return (await listUsers(ctx.db)).map((u) => ({
        ...publicUser(u),
        mfa_enabled: withMfa.has(u.id),
        active_api_tokens: tokens.get(u.id) ?? 0,
      }));
    },
  );

  app.post<{ Body: CreateUserRequest }>(
    '/api/v1/users',
    {
      ...admin,
      schema: {
        summary: 'Create a user (admin)',
        tags: ['users'],
        security,
        body: CreateUserRequest,
        response: { 201: UserBody, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { password, role, ...rest } = request.body;
      const user = await insertUser(ctx.db, {
        ...rest,
        role: role ?? 'user',
        password_hash: await ctx.passwords.hash(password),
      }).catch((error: { code?: string }) => {
        if (error.code === '23505') throw new ConflictError(`User ${JSON.stringify(rest.username)} already exists`);
        throw error;
      });
      await auditRequest(ctx, request, {
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        details: { username: user.username, role: user.role },
      });
      return reply.code(201).send(publicUser(user));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/users/:id',
    {
      ...admin,
      schema: {
        summary: 'Get a user (admin)',
        tags: ['users'],
        security,
        params: IdParam,
        response: { 200: UserBody, ...errors(401, 403, 404) },
      },
    },
    async (request) => publicUser(await load(request.params.id)),
  );

  app.patch<{ Params: { id: string }; Body: UpdateUserRequest }>(
    '/api/v1/users/:id',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'Change a user (admin), or your own password',
        tags: ['users'],
        security,
        params: IdParam,
        body: UpdateUserRequest,
        response: { 200: UserBody, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const me = caller(request);
      const target = await load(request.params.id);
      const { password, current_password: currentPassword, ...changes } = request.body;
      const self = me.userId === target.id;
      const selfPasswordOnly = self && Object.keys(changes).length === 0;
      if (me.role !== 'admin' && !selfPasswordOnly) {
        throw new ForbiddenError('Only admins may change users; you may change only your own password');
      }
      if (currentPassword !== undefined && password === undefined) {
        throw new BadRequestError('current_password goes with password (the new one)');
      }
      if (password !== undefined && self) await confirmCurrentPassword(ctx, request.ip, target, currentPassword);
      if (target.role === 'admin' && (changes.role === 'user' || changes.disabled === true)) {
        await ensureAnotherAdmin(ctx);
      }
      // Whatever a stolen or stale token could still do ends here: a new password, disabling and a
      // lowered role revoke the user's tokens (a raised role needs no revocation: roles are read
      // from the database on every request).
      const revokeTokens =
        password !== undefined ||
        (changes.disabled === true && !target.disabled) ||
        (changes.role === 'user' && target.role === 'admin');
      const updated = await updateUser(
        ctx.db,
        target.id,
        { ...changes, ...(password !== undefined ? { password_hash: await ctx.passwords.hash(password) } : {}) },
        { revokeTokens },
      );
      if (!updated) throw new NotFoundError('user', request.params.id);
      ctx.access.changed(target.id);
      await auditRequest(ctx, request, {
        action: 'user.update',
        targetType: 'user',
        targetId: target.id,
        details: { fields: Object.keys(request.body) },
      });
      // Role and access changes get entries of their own: they are what an auditor filters for.
      if (changes.role !== undefined && changes.role !== target.role) {
        await auditRequest(ctx, request, {
          action: 'user.role_change',
          targetType: 'user',
          targetId: target.id,
          details: { username: target.username, from: target.role, to: changes.role },
        });
      }
      if (changes.disabled !== undefined && changes.disabled !== target.disabled) {
        await auditRequest(ctx, request, {
          action: changes.disabled ? 'user.disable' : 'user.enable',
          targetType: 'user',
          targetId: target.id,
          details: { username: target.username },
        });
      }
      return publicUser(updated);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/users/:id',
    {
      ...admin,
      schema: {
        summary: 'Delete a user who has no sessions left (admin)',
        tags: ['users'],
        security,
        params: IdParam,
        response: { 204: Type.Null(), ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const target = await load(request.params.id);
      if (target.role === 'admin') await ensureAnotherAdmin(ctx);
      const live = await ctx.db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', target.id)
        .where('state', '!=', 'deleted')
        .executeTakeFirstOrThrow();
      if (Number(live.n) > 0) {
        throw new ConflictError(
          `User ${target.username} still has ${live.n} session(s); delete them first so their containers are removed`,
          'user_has_sessions',
        );
      }
      await deleteUser(ctx.db, target.id);
      ctx.access.changed(target.id);
      await auditRequest(ctx, request, {
        action: 'user.delete',
        targetType: 'user',
        targetId: target.id,
        details: { username: target.username },
      });
      return reply.code(204).send();
    },
  );
}

/** Changing your own password needs the current one: a token left on a shared machine must not be
 * enough to take the account over. Wrong guesses are throttled like logins. */
export async function confirmCurrentPassword(
  ctx: ApiContext,
  ip: string,
  user: User,
  currentPassword: string | undefined,
) {
  if (currentPassword === undefined) {
    throw new BadRequestError('current_password: required to change your own password');
  }
  const attempt = await ctx.limiter.reserve(user.username, ip);
  if (!attempt.ok) {
    throw new TooManyRequestsError(
      `Too many wrong passwords; try again in ${attempt.retryAfterS} s`,
      attempt.retryAfterS,
    );
  }
  if (!(await ctx.passwords.verify(user.password_hash, currentPassword))) {
    throw new ForbiddenError('current_password is wrong');
  }
  await ctx.limiter.recordSuccess(user.username, ip);
}

async function ensureAnotherAdmin(ctx: ApiContext) {
  if ((await countEnabledAdmins(ctx.db)) <= 1) {
    throw new ConflictError('This is the last enabled administrator; make another user admin first', 'last_admin');
  }
}
