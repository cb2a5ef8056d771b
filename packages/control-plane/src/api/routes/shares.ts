import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { isViewable } from '@streamspace/protocol';
import { caller } from '../../auth/authenticate.js';
import type { TokenClaims } from '../../auth/tokens.js';
import { findSession } from '../../db/queries/sessions.js';
import { findUserById, findUserByUsername } from '../../db/queries/users.js';
import {
  findShareByTokenHash,
  findShareInSession,
  insertShare,
  listShares,
  liveShareViewers,
  revokeShare,
} from '../../db/queries/session-shares.js';
import { ApiError, BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../errors.js';
import { isUuid } from '../../ids.js';
import {
  hashShareToken,
  newShareToken,
  SHARE_TOKEN_SHAPE,
  shareLifetime,
  shareUrl,
} from '../../sessions/share-links.js';
import { mayViewSession } from '../../vnc/stream-access.js';
import { refuseUnclaimed } from '../../warm-pools/unclaimed-session.js';
import { closeViewers } from '../../vnc/viewer-close.js';
import { auditRequest } from '../audit-request.js';
import type { ApiContext } from '../context.js';
import {
  CreateShareRequest,
  CreatedShareBody,
  RedeemShareBody,
  ShareBody,
  ShareParams,
  ShareTokenParam,
} from '../share-schemas.js';
import { IdParam, errors } from '../schemas.js';
import { issueVncTicket } from './vnc.js';

const shareStatus = (share: { revoked_at: Date | null; expires_at: Date }, now = Date.now()) =>
  share.revoked_at ? 'revoked' : share.expires_at.getTime() <= now ? 'expired' : 'active';

/** Gone links answer 410 with what happened, so the guest knows to ask for a new one. */
class ShareGoneError extends ApiError {
  constructor(why: 'revoked' | 'expired') {
    super(410, `share_${why}`, `This share link was ${why}; ask the session's owner for a new link`);
  }
}

/**
 * Sharing a session's desktop by link (issue 13): its owner or an admin creates, lists and revokes
 * shares; any signed-in user holding a link (or only the user it names) redeems it for a VNC ticket
 * held to the share's mode. A share's guest gets nothing else: the session stays invisible to them
 * (404 on GET/PATCH/DELETE, like anyone else's session), so they cannot stop or delete it.
 */
export function shareRoutes(app: FastifyInstance, ctx: ApiContext, publicUrl: string) {
  const security = [{ bearer: [] }];

  /** The session, if the caller may manage its shares; anyone else sees "not found", as for the session. */
  const ownedSession = async (me: TokenClaims, id: string) => {
    const session = isUuid(id) ? await findSession(ctx.db, id) : undefined;
    if (!session || session.state === 'deleted' || !mayViewSession(me, session)) throw new NotFoundError('session', id);
    refuseUnclaimed(session, 'shared');
    return session;
  };

  app.post<{ Params: { id: string }; Body: CreateShareRequest }>(
    '/api/v1/sessions/:id/shares',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'Share the session’s desktop by link (owner or admin); the token is in this answer only',
        tags: ['shares'],
        security,
        params: IdParam,
        body: CreateShareRequest,
        response: { 201: CreatedShareBody, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const me = caller(request);
      const session = await ownedSession(me, request.params.id);
      const lifetime = shareLifetime(request.body.expires_in, ctx.shares.maxLifetimeMs);
      if (!lifetime.ok) throw new BadRequestError(lifetime.message);
      let named: { id: string; username: string } | null = null;
      if (request.body.username !== undefined) {
        const user = await findUserByUsername(ctx.db, request.body.username);
        if (!user)
          throw new BadRequestError(
            `username: no user ${JSON.stringify(request.body.username)}; name an existing user, or omit username so anyone signed in with the link may join`,
          );
        named = user;
      }
      const { token, hash } = newShareToken();
      const share = await insertShare(ctx.db, {
        sessionId: session.id,
        tokenHash: hash,
        mode: request.body.mode,
        userId: named?.id ?? null,
        createdBy: me.userId,
        ttlMs: lifetime.ms,
      });
      await auditRequest(ctx, request, {
        action: 'session.share',
        targetType: 'session',
        targetId: session.id,
        details: {
          share_id: share.id,
          mode: share.mode,
          username: named?.username ?? null,
          expires_at: share.expires_at.toISOString(),
          owner_user_id: session.user_id,
        },
      });
      return reply.code(201).send({
        id: share.id,
        token,
        url: shareUrl(ctx.shares.publicUrl ?? `${request.protocol}://${request.host}`, token),
        mode: share.mode,
        username: named?.username ?? null,
        expires_at: share.expires_at.toISOString(),
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/sessions/:id/shares',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'The session’s shares and who is connected through each now (owner or admin)',
        tags: ['shares'],
        security,
        params: IdParam,
        response: { 200: Type.Array(ShareBody), ...errors(401, 404) },
      },
    },
    async (request) => {
      const session = await ownedSession(caller(request), request.params.id);
      const [shares, viewers] = await Promise.all([
        listShares(ctx.db, session.id),
        liveShareViewers(ctx.db, session.id),
      ]);
      return shares.map((share) => ({
        ...share,
        status: shareStatus(share),
        viewers: viewers
          .filter((v) => v.share_id === share.id)
          .map(({ user_id, username, mode, connected_at }) => ({ user_id, username, mode, connected_at })),
      }));
    },
  );

  app.delete<{ Params: { id: string; share_id: string } }>(
    '/api/v1/sessions/:id/shares/:share_id',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'Revoke a share: its link stops working and its live viewers are closed at once',
        tags: ['shares'],
        security,
        params: ShareParams,
        response: { 204: Type.Null(), ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      const me = caller(request);
      const session = await ownedSession(me, request.params.id);
      const shareId = request.params.share_id;
      const share = isUuid(shareId) ? await findShareInSession(ctx.db, session.id, shareId) : undefined;
      if (!share)
        throw new ApiError(
          404,
          'not_found',
          `share ${JSON.stringify(shareId)} not found in this session; list them with GET /api/v1/sessions/${session.id}/shares`,
        );
      // Revoking twice is not an error and is recorded once; the viewers are closed either way.
      if (await revokeShare(ctx.db, share.id))
        await auditRequest(ctx, request, {
          action: 'session.share_revoke',
          targetType: 'session',
          targetId: session.id,
          details: { share_id: share.id, mode: share.mode, owner_user_id: session.user_id },
        });
      await closeViewers(ctx.db, { shareId: share.id, reason: `share revoked by ${me.username}` });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { token: string } }>(
    '/api/v1/shares/:token/connect',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'Redeem a share link: a single-use ticket for /vnc/{session_id}, held to the share’s mode',
        tags: ['shares'],
        security,
        params: ShareTokenParam,
        response: { 200: RedeemShareBody, ...errors(401, 403, 404, 409, 410) },
      },
    },
    async (request) => {
      const me = caller(request);
      const { token } = request.params;
      const share = SHARE_TOKEN_SHAPE.test(token)
        ? await findShareByTokenHash(ctx.db, hashShareToken(token))
        : undefined;
      const session = share ? await findSession(ctx.db, share.session_id) : undefined;
      if (!share || !session)
        throw new ApiError(
          404,
          'share_not_found',
          'This share link is not known; check it was copied whole, or ask for a new one',
        );
      if (share.revoked_at) throw new ShareGoneError('revoked');
      if (share.expires_at.getTime() <= Date.now()) throw new ShareGoneError('expired');
      if (share.user_id !== null && share.user_id !== me.userId) {
        const named = await findUserById(ctx.db, share.user_id);
        throw new ForbiddenError(
          `This share link is for ${named?.username ?? 'another user'} only; you are signed in as ${me.username}`,
        );
      }
      if (session.state === 'deleted') throw new ApiError(410, 'session_deleted', 'The shared session was deleted');
      if (!isViewable(session.state))
        throw new ConflictError(
          `The shared session is ${session.state}; only a running session can be joined: its owner must start it`,
          'session_not_running',
        );
      const owner = await findUserById(ctx.db, session.user_id);
      const issued = await issueVncTicket(ctx, publicUrl, {
        sessionId: session.id,
        grant: me.grant,
        share: { id: share.id, mode: share.mode },
      });
      await auditRequest(ctx, request, {
        action: 'session.share_redeem',
        targetType: 'session',
        targetId: session.id,
        details: { share_id: share.id, mode: share.mode, owner_user_id: session.user_id },
      });
      return {
        ...issued,
        session_id: session.id,
        mode: share.mode,
        owner: owner?.username ?? '',
        template: session.template_name,
      };
    },
  );
}
