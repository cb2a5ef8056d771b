import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { SESSION_STATES, SessionStateName } from '@streamspace/protocol';
import { requireAdmin } from '../../auth/authenticate.js';
import { countSessionsByState, recentFailedSessions } from '../../db/queries/admin-overview.js';
import { warmPoolOverview } from '../../db/queries/warm-pools.js';
import type { ApiContext } from '../context.js';
import { errors } from '../schemas.js';

/** How many failures the dashboard lists: the recent ones, not a history (the audit log is that). */
export const RECENT_FAILURES = 20;

const Timestamp = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const AdminOverviewBody = Type.Object({
  sessions_by_state: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
    description: 'every session state except deleted, with how many sessions are in it (0 included)',
  }),
  recent_failures: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      user: Type.String(),
      template: Type.String(),
      agent_id: Nullable(Type.String()),
      region: Nullable(Type.String()),
      reason: Nullable(Type.String({ description: 'why it failed, as the agent or control plane said' })),
      failed_at: Timestamp,
    }),
    { description: `the ${RECENT_FAILURES} newest failed sessions, newest first` },
  ),
  warm_pools: Type.Array(
    Type.Object({
      template: Type.String(),
      size: Type.Integer({ minimum: 0, description: "the template's warm_pool" }),
      ready: Type.Integer({ minimum: 0, description: 'running, waiting to be claimed' }),
      starting: Type.Integer({ minimum: 0 }),
      failures: Type.Integer({ minimum: 0, description: 'pool starts failed in a row' }),
      last_error: Nullable(Type.String()),
      retry_at: Nullable(Timestamp),
    }),
    { description: 'templates that keep a warm pool (or still have pool sessions to drain)' },
  ),
  generated_at: Timestamp,
});

/**
 * The admin dashboard in one request. Counting by state in the database and listing only the newest
 * failures is why this exists: GET /api/v1/sessions gives admins every session, unpaged, which is
 * fine for a list but too much to fetch on each live update just to count.
 */
export function adminRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.get(
    '/api/v1/admin/overview',
    {
      onRequest: ctx.authenticate,
      preHandler: requireAdmin,
      schema: {
        summary: 'Sessions by state, the recent failures and the warm pools, for the admin dashboard (admin)',
        tags: ['admin'],
        security: [{ bearer: [] }],
        response: { 200: AdminOverviewBody, ...errors(401, 403) },
      },
    },
    async () => {
      const counts = Object.fromEntries(
        SESSION_STATES.filter((state) => state !== 'deleted').map((state) => [state, 0]),
      ) as Record<Exclude<SessionStateName, 'deleted'>, number>;
      for (const { state, count } of await countSessionsByState(ctx.db)) counts[state as keyof typeof counts] = count;
      const failures = await recentFailedSessions(ctx.db, RECENT_FAILURES);
      return {
        sessions_by_state: counts,
        recent_failures: failures.map((s) => ({
          id: s.id,
          user: s.user,
          template: s.template,
          agent_id: s.agent_id,
          region: s.region,
          reason: s.state_reason,
          failed_at: s.state_changed_at,
        })),
        warm_pools: (await warmPoolOverview(ctx.db)).map((p) => ({
          ...p,
          failures: p.failures ?? 0,
          last_error: p.failures ? p.last_error : null,
          retry_at: p.failures ? p.retry_at : null,
        })),
        generated_at: new Date(),
      };
    },
  );
}
