import type { FastifyInstance } from 'fastify';
import { caller, type AuthenticatedUser } from '../../auth/authenticate.js';
import { sessionViews } from '../../db/queries/session-views.js';
import { TooManyRequestsError } from '../../errors.js';
import type { ApiContext } from '../context.js';

export const SESSIONS_CHANNEL = 'streamspace_sessions';
const KEEPALIVE_MS = 15_000;

interface Listener {
  me: AuthenticatedUser;
  send(data: string): void;
}

/**
 * `GET /api/v1/sessions/events`: Server-Sent Events with each change to the caller's sessions (all
 * sessions for admins), as the same JSON the API returns. Fed by the database trigger's NOTIFY, so
 * changes made on any replica, by users or agents, arrive without polling. Each change is read ONCE
 * and the result fanned out to the streams entitled to it; a stream ends when its login is revoked
 * or expires; a user holds at most USER_MAX_EVENT_STREAMS of them per replica.
 */
export async function sessionEventRoutes(app: FastifyInstance, ctx: ApiContext) {
  const listeners = new Set<Listener>();
  const perUser = new Map<string, number>();
  const unlisten = await ctx.database.listen(SESSIONS_CHANNEL, (payload) => {
    const [sessionId, userId] = payload.split(' ');
    if (!sessionId || !userId) return;
    const entitled = [...listeners].filter((l) => l.me.role === 'admin' || l.me.userId === userId);
    if (entitled.length === 0) return;
    void sessionViews(ctx.db)
      .where('s.id', '=', sessionId)
      .executeTakeFirst()
      .then((view) => {
        if (!view) return;
        const data = `event: session\ndata: ${JSON.stringify(view)}\n\n`;
        for (const listener of entitled) if (listeners.has(listener)) listener.send(data);
      })
      .catch(() => undefined);
  });
  app.addHook('onClose', async () => unlisten());

  app.get(
    '/api/v1/sessions/events',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'Live session changes (text/event-stream)',
        tags: ['sessions'],
        security: [{ bearer: [] }],
      },
    },
    (request, reply) => {
      const me = caller(request);
      const open = perUser.get(me.userId) ?? 0;
      if (open >= ctx.maxEventStreamsPerUser) {
        throw new TooManyRequestsError(
          `${me.username} already has ${open} live-update streams open (USER_MAX_EVENT_STREAMS is ${ctx.maxEventStreamsPerUser}); close a tab first`,
          5,
        );
      }
      perUser.set(me.userId, open + 1);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      raw.write(': connected\n\n');
      const listener: Listener = { me, send: (data) => raw.write(data) };
      listeners.add(listener);
      const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
      // A revoked or expired login ends the stream: it says why, then closes.
      const unwatch = ctx.access.watch(me.grant, (verdict) => {
        raw.end(`event: logout\ndata: ${JSON.stringify({ reason: verdict.reason, message: verdict.message })}\n\n`);
      });
      let closed = false;
      // The response's close: when the client leaves or the stream is ended here.
      raw.on('close', () => {
        if (closed) return;
        closed = true;
        clearInterval(keepalive);
        unwatch();
        listeners.delete(listener);
        const left = (perUser.get(me.userId) ?? 1) - 1;
        if (left > 0) perUser.set(me.userId, left);
        else perUser.delete(me.userId);
      });
    },
  );
}
