import type { FastifyInstance } from 'fastify';
import { caller } from '../../auth/authenticate.js';
import { findUserById, updateUser } from '../../db/queries/users.js';
import { hasIdentity } from '../../db/queries/user-identities.js';
import { ConflictError, UnauthorizedError } from '../../errors.js';
import { auditRequest } from '../audit-request.js';
import type { ApiContext } from '../context.js';
import {
  ChangePasswordRequest,
  ChangePasswordResponse,
  MeBody,
  UpdateMeRequest,
  UserBody,
  errors,
} from '../schemas.js';
import { confirmCurrentPassword, publicUser } from './users.js';

/** The caller's own account: read it, edit the profile, change the password. */
export function meRoutes(app: FastifyInstance, ctx: ApiContext) {
  const security = [{ bearer: [] }];
  const auth = { onRequest: ctx.authenticate };

  const myRow = async (userId: string) => {
    const me = await findUserById(ctx.db, userId);
    // Deleted between authentication and now.
    if (!me) throw new UnauthorizedError('This account no longer exists');
    return me;
  };

  app.get(
    '/api/v1/users/me',
    {
      ...auth,
      schema: {
        summary: 'Your own user',
        tags: ['users'],
        security,
        response: { 200: MeBody, ...errors(401) },
      },
    },
    async (request) => {
      const me = await myRow(caller(request).userId);
      return { ...publicUser(me), single_sign_on: await hasIdentity(ctx.db, me.id) };
    },
  );

  app.patch<{ Body: UpdateMeRequest }>(
    '/api/v1/users/me',
    {
      ...auth,
      schema: {
        summary: 'Change your display name or email (null or "" clears them)',
        tags: ['users'],
        security,
        body: UpdateMeRequest,
        response: { 200: UserBody, ...errors(400, 401) },
      },
    },
    async (request) => {
      const me = caller(request);
      const { email, display_name: displayName } = request.body;
      const changes = {
        ...(email !== undefined ? { email: email === '' ? null : email } : {}),
        ...(displayName !== undefined ? { display_name: displayName?.trim() || null } : {}),
      };
      const updated = await updateUser(ctx.db, me.userId, changes);
      if (!updated) throw new UnauthorizedError('This account no longer exists');
      await auditRequest(ctx, request, {
        action: 'user.update',
        targetType: 'user',
        targetId: me.userId,
        details: { fields: Object.keys(changes), self: true },
      });
      return publicUser(updated);
    },
  );

  app.post<{ Body: ChangePasswordRequest }>(
    '/api/v1/users/me/password',
    {
      ...auth,
      schema: {
        summary: 'Change your password (the current one is required); ends your other logins',
        tags: ['users'],
        security,
        body: ChangePasswordRequest,
        response: { 200: ChangePasswordResponse, ...errors(400, 401, 403, 409, 429) },
      },
    },
    async (request) => {
      const user = await myRow(caller(request).userId);
      if (await hasIdentity(ctx.db, user.id)) {
        throw new ConflictError(
          'This account signs in with single sign-on: change its password at your identity provider',
        );
      }
      await confirmCurrentPassword(ctx, request.ip, user, request.body.current_password);
      // Bumping the token version ends every login, this one too; the caller gets a new one below.
      // API tokens stay (api-tokens.ts says why); they are listed for revoking one by one.
      const updated = await updateUser(
        ctx.db,
        user.id,
        { password_hash: await ctx.passwords.hash(request.body.new_password) },
        { revokeTokens: true },
      );
      if (!updated) throw new UnauthorizedError('This account no longer exists');
      ctx.access.changed(user.id);
      await auditRequest(ctx, request, {
        action: 'user.password_change',
        targetType: 'user',
        targetId: user.id,
        details: { username: user.username },
      });
      const { token, expiresAt } = await ctx.tokens.issue({
        userId: updated.id,
        username: updated.username,
        role: updated.role,
        tokenVersion: updated.token_version,
      });
      return { token, expires_at: expiresAt.toISOString() };
    },
  );
}
