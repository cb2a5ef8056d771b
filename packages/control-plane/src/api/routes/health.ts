import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

export function healthRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('healthy') }) },
      },
    },
    async () => ({ status: 'healthy' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: the database answers and migrations are applied',
        tags: ['health'],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), database: Type.String() }),
          503: Type.Object({ status: Type.Literal('not_ready'), reason: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      try {
        if (!(await ctx.isMigrated())) {
          return reply
            .code(503)
            .send({ status: 'not_ready' as const, reason: 'database migrations are not applied yet' });
        }
        return { status: 'ready' as const, database: ctx.database.kind };
      } catch (error) {
        // The driver's text (host names, users, addresses) is for the operator's log, not for any caller.
        request.log.warn({ err: error }, 'readiness: the database is not answering');
        return reply.code(503).send({
          status: 'not_ready' as const,
          reason: "database not answering (the control plane's log has the error)",
        });
      }
    },
  );
}
