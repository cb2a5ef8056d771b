import { Type } from 'typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller, requireAdmin } from '../../auth/authenticate.js';
import { apiTokenLifetime, newApiToken } from '../../auth/api-tokens.js';
import {
  findApiToken,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  type ApiTokenRow,
} from '../../db/queries/api-tokens.js';
import { ApiError, BadRequestError, ForbiddenError } from '../../errors.js';
import { isUuid } from '../../ids.js';
import { auditRequest } from '../audit-request.js';
import type { ApiContext } from '../context.js';
import {
  ApiTokenBody,
  ApiTokenQuery,
  CreateApiTokenRequest,
  CreatedApiTokenBody,
  IdParam,
  errors,
} from '../schemas.js';

/** A token as lists show it: never the token, nor its hash. */
export function publicApiToken(row: ApiTokenRow, now = Date.now()) {
  const { token_hash: _hash, ...rest } = row;
  const status = row.revoked_at ? 'revoked' : row.expires_at.getTime() <= now ? 'expired' : 'active';
  return { ...rest, status };
}

/**
 * Personal API tokens: each user creates, lists and revokes their own under /users/me/tokens;
 * admins list and revoke anyone's under /tokens.
 */
export function apiTokenRoutes(app: FastifyInstance, ctx: ApiContext) {
  const security = [{ bearer: [] }];
  const auth = { onRequest: ctx.authenticate };
  const admin = { onRequest: ctx.authenticate, preHandler: requireAdmin };

  /** Someone else's token is "not found" to a non-admin: its id reveals nothing. */
  const load = async (id: string, ownerId?: string) => {
    const row = isUuid(id) ? await findApiToken(ctx.db, id) : undefined;
    if (!row || (ownerId !== undefined && row.user_id !== ownerId)) {
      throw new ApiError(
        404,
        'not_found',
        `API token ${JSON.stringify(id)} not found; list yours with GET /api/v1/users/me/tokens`,
      );
    }
    return row;
  };

  const revoke = async (request: FastifyRequest, row: ApiTokenRow) => {
    const me = caller(request);
    const revoked = await revokeApiToken(ctx.db, row.id, me.username);
    // Revoking twice is not an error (the second does nothing) and is not recorded twice.
    if (revoked) {
      ctx.apiTokens.auth.forget(revoked.token_hash);
      await auditRequest(ctx, request, {
        action: 'token.revoke',
        targetType: 'api_token',
        targetId: row.id,
        details: { owner_id: row.user_id, owner: row.username, name: row.name },
      });
    }
  };

  app.post<{ Body: CreateApiTokenRequest }>(
    '/api/v1/users/me/tokens',
    {
      ...auth,
      schema: {
        summary: 'Create a personal API token; the token is in this answer only',
        tags: ['tokens'],
        security,
        body: CreateApiTokenRequest,
        response: { 201: CreatedApiTokenBody, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const me = caller(request);
      // A leaked token must not be able to mint itself successors that outlive its revocation.
      if (me.apiTokenId) {
        throw new ForbiddenError('API tokens cannot create API tokens; log in with your password to create one');
      }
      const lifetime = apiTokenLifetime(request.body.expires_in, ctx.apiTokens.maxLifetimeMs);
      if (!lifetime.ok) throw new BadRequestError(lifetime.message);
      const name = request.body.name.trim();
      if (name === '') throw new BadRequestError('name: say what the token is for, e.g. "ci deploy"');
      const { token, hash, hint } = newApiToken();
      const row = await insertApiToken(ctx.db, {
        user_id: me.userId,
        name,
        token_hash: hash,
        hint,
        expires_at: new Date(Date.now() + lifetime.ms),
      });
      await auditRequest(ctx, request, {
        action: 'token.create',
        targetType: 'api_token',
        targetId: row.id,
        details: { owner_id: me.userId, owner: me.username, name, expires_at: row.expires_at.toISOString() },
      });
      return reply.code(201).send({ id: row.id, token, name, hint, expires_at: row.expires_at.toISOString() });
    },
  );

  app.get(
    '/api/v1/users/me/tokens',
    {
      ...auth,
      schema: {
        summary: 'Your API tokens, with their last use (never the tokens themselves)',
        tags: ['tokens'],
        security,
        response: { 200: Type.Array(ApiTokenBody), ...errors(401) },
      },
    },
    async (request) => (await listApiTokens(ctx.db, caller(request).userId)).map((row) => publicApiToken(row)),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/users/me/tokens/:id',
    {
      ...auth,
      schema: {
        summary: 'Revoke one of your API tokens',
        tags: ['tokens'],
        security,
        params: IdParam,
        response: { 204: Type.Null(), ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      await revoke(request, await load(request.params.id, caller(request).userId));
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { user_id?: string } }>(
    '/api/v1/tokens',
    {
      ...admin,
      schema: {
        summary: "Everyone's API tokens, or one user's with user_id (admin)",
        tags: ['tokens'],
        security,
        querystring: ApiTokenQuery,
        response: { 200: Type.Array(ApiTokenBody), ...errors(400, 401, 403) },
      },
    },
    async (request) => (await listApiTokens(ctx.db, request.query.user_id)).map((row) => publicApiToken(row)),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    {
      ...admin,
      schema: {
        summary: "Revoke anyone's API token (admin)",
        tags: ['tokens'],
        security,
        params: IdParam,
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revoke(request, await load(request.params.id));
      return reply.code(204).send();
    },
  );
}
