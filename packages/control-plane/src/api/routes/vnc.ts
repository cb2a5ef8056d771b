import { randomBytes } from 'node:crypto';
import { Type } from 'typebox';
import { isViewable } from '@streamspace/protocol';
import type { FastifyInstance } from 'fastify';
import { caller } from '../../auth/authenticate.js';
import { findSession } from '../../db/queries/sessions.js';
import { insertTicket } from '../../db/queries/vnc-tickets.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { mayViewSession } from '../../vnc/stream-access.js';
import { hashSecret } from '../../vnc/vnc-proxy.js';
import type { ApiContext } from '../context.js';
import { IdParam, errors } from '../schemas.js';
import { isUuid } from '../../ids.js';
import { auditRequest } from '../audit-request.js';
import { refuseUnclaimed } from '../../warm-pools/unclaimed-session.js';

/** A ticket is good for one connection within this window: long enough to open a WebSocket. */
export const TICKET_TTL_MS = 30_000;

const ConnectResponse = Type.Object({
  ticket: Type.String({ description: 'single use, short lived' }),
  expires_at: Type.String({ format: 'date-time' }),
  path: Type.String({ description: 'WebSocket path to open with the ticket' }),
  ws_url: Type.String(),
});

/**
 * Writes a single-use ticket for `/vnc/{sessionId}`, tied to the minting login (the stream ends with
 * it) and, for a share's guest, to the share and its mode, which the proxy enforces.
 */
export async function issueVncTicket(
  ctx: ApiContext,
  publicUrl: string,
  request: {
    sessionId: string;
    grant: { userId: string; tokenVersion: number; expiresAt: Date };
    share?: { id: string; mode: 'view' | 'control' };
  },
) {
  const ticket = randomBytes(24).toString('base64url');
  const expiresAt = await insertTicket(ctx.db, {
    hash: hashSecret(ticket).toString('hex'),
    sessionId: request.sessionId,
    userId: request.grant.userId,
    ttlMs: TICKET_TTL_MS,
    tokenVersion: request.grant.tokenVersion,
    tokenExpiresAt: request.grant.expiresAt,
    mode: request.share?.mode ?? 'control',
    shareId: request.share?.id ?? null,
  });
  const path = `/vnc/${request.sessionId}?ticket=${ticket}`;
  return {
    ticket,
    expires_at: expiresAt.toISOString(),
    path,
    ws_url: `${publicUrl.replace(/^http/, 'ws')}${path}`,
  };
}

export function vncRoutes(app: FastifyInstance, ctx: ApiContext, publicUrl: string) {
  app.post<{ Params: { id: string } }>(
    '/api/v1/sessions/:id/connect',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'A single-use ticket to open the session’s VNC stream at /vnc/{id}',
        tags: ['sessions'],
        security: [{ bearer: [] }],
        params: IdParam,
        response: { 200: ConnectResponse, ...errors(401, 404, 409) },
      },
    },
    async (request) => {
      const me = caller(request);
      const id = request.params.id;
      const session = isUuid(id) ? await findSession(ctx.db, id) : undefined;
      if (!session || session.state === 'deleted' || !mayViewSession(me, session))
        throw new NotFoundError('session', id);
      refuseUnclaimed(session, 'viewed');
      if (!isViewable(session.state)) {
        throw new ConflictError(
          `Session is ${session.state}; only a running session can be viewed`,
          'session_not_running',
        );
      }
      const issued = await issueVncTicket(ctx, publicUrl, { sessionId: id, grant: me.grant });
      // An admin looking at someone else's desktop is on the record: who, when (the row's time), which session.
      if (session.user_id !== me.userId)
        await auditRequest(ctx, request, {
          action: 'session.view',
          targetType: 'session',
          targetId: id,
          details: { owner_user_id: session.user_id },
        });
      return issued;
    },
  );

  // A plain request where a WebSocket was expected gets a reason, not a hang.
  app.get('/vnc/:id', { schema: { hide: true } }, async (_request, reply) =>
    reply.code(426).header('upgrade', 'websocket').send({
      error: 'upgrade_required',
      message:
        '/vnc/{session_id} is a WebSocket endpoint: get a ticket with POST /api/v1/sessions/{id}/connect and open ws(s)://…/vnc/{id}?ticket=…',
    }),
  );
}
