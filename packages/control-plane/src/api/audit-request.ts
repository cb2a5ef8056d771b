import type { FastifyRequest } from 'fastify';
import { caller } from '../auth/authenticate.js';
import { recordAudit } from '../db/queries/audit.js';
import type { ApiContext } from './context.js';

/** Records what the authenticated caller of `request` did to a user, template or session. */
export function auditRequest(
  ctx: ApiContext,
  request: FastifyRequest,
  entry: { action: string; targetType: string; targetId: string | null; details?: Record<string, unknown> },
): Promise<void> {
  const me = caller(request);
  return recordAudit(ctx.db, { actorUserId: me.userId, actor: me.username, ip: request.ip, ...entry });
}
