import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { findAgentByAgentId, listAgentsWithSessionCounts } from '../../db/queries/agents.js';
import { announceAgentRevoked, revokeAgentId } from '../../db/queries/agent-identity.js';
import { recordAudit } from '../../db/queries/audit.js';
import { caller, requireAdmin } from '../../auth/authenticate.js';
import { NotFoundError } from '../../errors.js';
import type { Agent } from '../../db/schema.js';
import type { ApiContext } from '../context.js';
import { AgentBody, errors } from '../schemas.js';

function publicAgent(agent: Agent & { session_count?: number | string | bigint | null }, isAdmin: boolean) {
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
    enrolled: agent.credential_hash !== null,
    enrolled_at: agent.enrolled_at,
    // Where agents run is the admins' business.
    enrolled_from: isAdmin ? agent.enrolled_from : null,
    last_address: isAdmin ? agent.last_address : null,
    revoked_at: agent.revoked_at,
    revoked_by: agent.revoked_by,
  };
}

export function agentRoutes(app: FastifyInstance, ctx: ApiContext) {
  const security = [{ bearer: [] }];
  const isAdmin = (request: Parameters<typeof caller>[0]) => caller(request).role === 'admin';
  // Agents reveal the platform (hosts, regions, pools, capacity): admins only.
  const admin = { onRequest: ctx.authenticate, preHandler: requireAdmin };
  app.get(
    '/api/v1/agents',
    {
      ...admin,
      schema: {
        summary: 'Registered agents with status, load and enrollment (admin)',
        tags: ['agents'],
        security,
        response: { 200: Type.Array(AgentBody), ...errors(401, 403) },
      },
    },
    async (request) => (await listAgentsWithSessionCounts(ctx.db)).map((a) => publicAgent(a, isAdmin(request))),
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
      return publicAgent(agent, isAdmin(request));
    },
  );

  app.post<{ Params: { agentId: string } }>(
    '/api/v1/agents/:agentId/revoke',
    {
      onRequest: ctx.authenticate,
      preHandler: requireAdmin,
      schema: {
        summary:
          'Revoke an agent (admin): it is disconnected at once, on every replica, and its id can never register again',
        tags: ['agents'],
        security,
        params: Type.Object({ agentId: Type.String({ maxLength: 255 }) }),
        response: { 200: AgentBody, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const me = caller(request);
      const { agentId } = request.params;
      const revoked = await ctx.db.transaction().execute(async (trx) => {
        const row = await revokeAgentId(trx, agentId, me.username);
        if (!row) return undefined;
        await announceAgentRevoked(trx, row.id);
        await recordAudit(trx, {
          actorUserId: me.userId,
          actor: me.username,
          action: 'agent.revoke',
          targetType: 'agent',
          targetId: agentId,
          ip: request.ip,
        });
        return row;
      });
      if (!revoked) throw new NotFoundError('agent', agentId);
      const agent = await findAgentByAgentId(ctx.db, agentId);
      return publicAgent(agent!, true);
    },
  );
}
