import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { requireAdmin } from '../../auth/authenticate.js';
import { listAuditEntries } from '../../db/queries/audit.js';
import type { ApiContext } from '../context.js';
import { errors } from '../schemas.js';
import { AuditQuery, encodeCursor, parseAuditQuery } from '../audit-query.js';
import { auditExport } from '../audit-export.js';
import { auditRequest } from '../audit-request.js';

const AuditEntryBody = Type.Object({
  id: Type.String({ description: 'increasing with time of writing' }),
  at: Type.String({ format: 'date-time', description: 'UTC, to the microsecond' }),
  actor: Type.String({ description: 'username, or agent:<agent_id>, or system' }),
  actor_user_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  action: Type.String({ description: 'e.g. auth.login, user.role_change, session.connect, agent.enroll' }),
  target_type: Type.String({ description: 'user, session, template, agent …' }),
  target_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()], { description: 'source address (TRUST_PROXY applied)' }),
  details: Type.Record(Type.String(), Type.Unknown()),
});

const AuditPage = Type.Object({
  entries: Type.Array(AuditEntryBody),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'pass as cursor for the next (older) page; null on the last page',
  }),
});

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson; charset=utf-8' };

export function auditRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.get<{ Querystring: AuditQuery }>(
    '/api/v1/audit',
    {
      onRequest: ctx.authenticate,
      preHandler: requireAdmin,
      schema: {
        summary: 'The audit log (admin): newest first, filtered, paged by cursor; format=csv or jsonl downloads it all',
        tags: ['audit'],
        security: [{ bearer: [] }],
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { filter, limit, after, format } = parseAuditQuery(request.query);
      if (format !== 'json') {
        // limit and cursor shape JSON pages; an export is every matching entry.
        const body = await auditExport(ctx.db, filter, format);
        // Taking the whole log away is itself on the record (after the first batch was read, so
        // this entry is not part of the export it describes).
        const { format: _format, ...filters } = request.query;
        await auditRequest(ctx, request, {
          action: 'audit.export',
          targetType: 'audit_log',
          targetId: null,
          details: { format, filters },
        });
        const stamp = new Date().toISOString().replace(/[:.]/g, '').slice(0, 15);
        return reply
          .header('content-type', CONTENT_TYPES[format])
          .header('content-disposition', `attachment; filename="streamspace-audit-${stamp}Z.${format}"`)
          .header('cache-control', 'no-store')
          .send(body);
      }
      // One row more than asked tells whether another page exists without an empty last page.
      const rows = await listAuditEntries(ctx.db, filter, { after, limit: limit + 1 });
      const entries = rows.slice(0, limit);
      const last = entries[entries.length - 1];
      return { entries, next_cursor: rows.length > limit && last ? encodeCursor(last) : null };
    },
  );
}
