import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { findAgentByAgentId, listAgentsWithSessionCounts } from '../../db/queries/agents.js';
import { NotFoundError } from '../../errors.js';
import { requireAdmin } from '../../auth/authenticate.js';
import type { Agent } from '../../db/schema.js';
import type { ApiContext } from '../context.js';
import { AgentBody, errors } from '../schemas.js';

function publicAgent(agent: Agent & { session_count?: number | string | bigint | null }) {
  return {
    agent_id: agent.agent_id,
    platform: agent.platform,
    status: agent.status,
    status_reason: agent.status_reason,
    region: agent.region,
    pool: agent.pool,
    capacity: agent.capacity as Record<string, unknown> | null,
    used: agent.used as Record<string, unknown> | null,
    sessions: Number(agent.session_count ?? 0),
    version: (agent.metadata as { version?: string } | null)?.version ?? null,
    replica_id: agent.replica_id,
    last_heartbeat: agent.last_heartbeat,
    created_at: agent.created_at,
  };
}

export function agentRoutes(app: FastifyInstance, ctx: ApiContext) {
  const security = [{ bearer: [] }];
  // Agents reveal the platform (hosts, regions, pools, capacity): admins only.
  const admin = { onRequest: ctx.authenticate, preHandler: requireAdmin };
  app.get(
    '/api/v1/agents',
    {
      ...admin,
      schema: {
        summary: 'Registered agents with status and load (admin)',
        tags: ['agents'],
        security,
        response: { 200: Type.Array(AgentBody), ...errors(401, 403) },
      },
    },
    async () => (await listAgentsWithSessionCounts(ctx.db)).map(publicAgent),
  );

  app.get<{ Params: { agentId: string } }>(
    '/api/v1/agents/:agentId',
    {
      ...admin,
      schema: {
        summary: 'One agent by its agent_id (admin)',
        tags: ['agents'],
        security,
        params: Type.Object({ agentId: Type.String({ maxLength: 255 }) }),
        response: { 200: AgentBody, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const agent = await findAgentByAgentId(ctx.db, request.params.agentId);
      if (!agent) throw new NotFoundError('agent', request.params.agentId);
      return publicAgent(agent);
    },
  );
}
