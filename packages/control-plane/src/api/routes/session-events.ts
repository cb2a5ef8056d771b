import type { FastifyInstance } from 'fastify';
import { caller } from '../../auth/authenticate.js';
import { sessionViews } from '../../db/queries/session-views.js';
import type { ApiContext } from '../context.js';

export const SESSIONS_CHANNEL = 'streamspace_sessions';
const KEEPALIVE_MS = 15_000;

type Listener = (sessionId: string, userId: string) => void;

/**
 * `GET /api/v1/sessions/events`: Server-Sent Events with each change to the caller's sessions (all
 * sessions for admins), as the same JSON the API returns. Fed by the database trigger's NOTIFY, so
 * changes made on any replica, by users or agents, arrive without polling.
 */
export async function sessionEventRoutes(app: FastifyInstance, ctx: ApiContext) {
  const listeners = new Set<Listener>();
  const unlisten = await ctx.database.listen(SESSIONS_CHANNEL, (payload) => {
    const [sessionId, userId] = payload.split(' ');
    if (sessionId && userId) for (const listener of listeners) listener(sessionId, userId);
  });
  app.addHook('onClose', async () => unlisten());

  app.get(
    '/api/v1/sessions/events',
    {
      onRequest: ctx.authenticate,
      schema: { summary: 'Live session changes (text/event-stream)', tags: ['sessions'], security: [{ bearer: [] }] },
    },
    (request, reply) => {
      const me = caller(request);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      raw.write(': connected\n\n');
      const listener: Listener = (sessionId, userId) => {
        if (me.role !== 'admin' && userId !== me.userId) return;
        void sessionViews(ctx.db)
          .where('s.id', '=', sessionId)
          .executeTakeFirst()
          .then((view) => {
            if (view) raw.write(`event: session\ndata: ${JSON.stringify(view)}\n\n`);
          })
          .catch(() => undefined);
      };
      listeners.add(listener);
      const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
      request.raw.on('close', () => {
        clearInterval(keepalive);
        listeners.delete(listener);
      });
    },
  );
}
