import type { FastifyInstance } from 'fastify';
import { caller, type AuthenticatedUser } from '../../auth/authenticate.js';
import { sessionViews } from '../../db/queries/session-views.js';
import { TooManyRequestsError } from '../../errors.js';
import type { ApiContext } from '../context.js';
import { IDLE_WARNING_CHANNEL } from '../../sessions/idle-policy.js';

export const SESSIONS_CHANNEL = 'streamspace_sessions';
const KEEPALIVE_MS = 15_000;

interface Listener {
  me: AuthenticatedUser;
  send(data: string): void;
  end(): void;
}

/**
 * `GET /api/v1/sessions/events`: Server-Sent Events with each change to the caller's sessions (all
 * sessions for admins), as the same JSON the API returns. Fed by the database trigger's NOTIFY, so
 * changes made on any replica, by users or agents, arrive without polling. Each change is read ONCE
 * and the result fanned out to the streams entitled to it; a stream ends when its login is revoked
 * or expires; a user holds at most USER_MAX_EVENT_STREAMS of them across all replicas (counted in
 * the database, see EventStreamSlots).
 */
export async function sessionEventRoutes(app: FastifyInstance, ctx: ApiContext) {
  const listeners = new Set<Listener>();
  const unlisten = await ctx.database.listen(SESSIONS_CHANNEL, (payload) => {
    const [sessionId, userId] = payload.split(' ');
    if (!sessionId || !userId) return;
    const entitled = [...listeners].filter((l) => l.me.role === 'admin' || l.me.userId === userId);
    if (entitled.length === 0) return;
    // Counted so a test can prove one query per change, whatever the number of streams.
    ctx.metrics.sessionEventQueries.inc();
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
  // "Hibernates soon" (issue 13), from whichever replica's maintenance saw it: passed on as it came
  // to the owner's, admins' and the session's current viewers' streams, as `event: idle_warning`.
  const unlistenWarnings = await ctx.database.listen(IDLE_WARNING_CHANNEL, (payload) => {
    let warned: { user_id?: unknown; viewer_user_ids?: unknown };
    try {
      warned = JSON.parse(payload) as typeof warned;
    } catch {
      return;
    }
    const users = new Set([warned.user_id, ...(Array.isArray(warned.viewer_user_ids) ? warned.viewer_user_ids : [])]);
    const data = `event: idle_warning\ndata: ${payload}\n\n`;
    for (const l of listeners) if (l.me.role === 'admin' || users.has(l.me.userId)) l.send(data);
  });
  ctx.eventStreams.start();
  // A stream never ends by itself: end them all when the server closes, or closing would wait for
  // every browser to leave (the UI reconnects to another replica or to this one when it is back).
  app.addHook('preClose', async () => {
    for (const listener of [...listeners]) listener.end();
  });
  app.addHook('onClose', async () => {
    await unlisten();
    await unlistenWarnings();
    await ctx.eventStreams.stop();
  });

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
    async (request, reply) => {
      const me = caller(request);
      const slot = await ctx.eventStreams.reserve(me.userId);
      if (!slot.ok) {
        throw new TooManyRequestsError(
          `${me.username} already has ${slot.open} live-update streams open (USER_MAX_EVENT_STREAMS is ${ctx.eventStreams.limit}); close a tab first`,
          5,
        );
      }
      // The client may have left while the slot was reserved: nothing would ever close it then.
      if (request.raw.socket.destroyed) {
        await ctx.eventStreams.release(slot.id);
        return reply.hijack();
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      raw.write(': connected\n\n');
      // Between ending the stream here and its 'close', a change, a warning or a keepalive may still
      // come: writing then would throw (write after end), so an ended stream takes nothing more.
      const write = (data: string) => {
        if (!raw.writableEnded && !raw.destroyed) raw.write(data);
      };
      const finish = (data: string) => {
        if (!raw.writableEnded && !raw.destroyed) raw.end(data);
      };
      const listener: Listener = {
        me,
        send: write,
        end: () => finish('event: shutdown\ndata: {"reason":"the control plane is shutting down"}\n\n'),
      };
      listeners.add(listener);
      const keepalive = setInterval(() => write(': keepalive\n\n'), KEEPALIVE_MS);
      // A revoked or expired login ends the stream: it says why, then closes.
      const unwatch = ctx.access.watch(me.grant, (verdict) => {
        finish(`event: logout\ndata: ${JSON.stringify({ reason: verdict.reason, message: verdict.message })}\n\n`);
      });
      let closed = false;
      // The response's close: when the client leaves or the stream is ended here.
      raw.on('close', () => {
        if (closed) return;
        closed = true;
        clearInterval(keepalive);
        unwatch();
        listeners.delete(listener);
        void ctx.eventStreams.release(slot.id);
      });
    },
  );
}
