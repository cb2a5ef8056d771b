import type { FastifyInstance } from 'fastify';
import { caller } from '../../auth/authenticate.js';
import { findSession } from '../../db/queries/sessions.js';
import { isControlViewer, recordActivity } from '../../db/queries/vnc-viewers.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { isUuid } from '../../ids.js';
import { mayViewSession } from '../../vnc/stream-access.js';
import type { ApiContext } from '../context.js';
import { IdParam, errors } from '../schemas.js';

/**
 * `POST /api/v1/sessions/{id}/activity`: the idle warning's "Keep working" button. Counts as input,
 * so it is open to those whose input counts: the owner, admins, and a user connected right now as
 * a control viewer (a control share's guest); a view-only guest cannot keep a session alive.
 */
export function sessionActivityRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.post<{ Params: { id: string } }>(
    '/api/v1/sessions/:id/activity',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'Count as activity now: postpones idle hibernation (the "Keep working" button)',
        tags: ['sessions'],
        security: [{ bearer: [] }],
        params: IdParam,
        response: { 204: { type: 'null' }, ...errors(401, 404, 409) },
      },
    },
    async (request, reply) => {
      const me = caller(request);
      const id = request.params.id;
      const session = isUuid(id) ? await findSession(ctx.db, id) : undefined;
      if (!session || session.state === 'deleted') throw new NotFoundError('session', id);
      if (!mayViewSession(me, session) && !(await isControlViewer(ctx.db, id, me.userId)))
        throw new NotFoundError('session', id);
      if (session.state !== 'running')
        throw new ConflictError(
          `Session is ${session.state}; only a running session's activity counts (resume it with PATCH state running)`,
          'session_not_running',
        );
      await recordActivity(ctx.db, id, 0);
      return reply.code(204).send();
    },
  );
}
