import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { SessionStateName } from '@streamspace/protocol';
import { caller } from '../../auth/authenticate.js';
import type { ApiContext } from '../context.js';
import {
  CreateSessionRequest,
  SessionLimitBody,
  IdParam,
  SessionBody,
  SessionQuery,
  UpdateSessionRequest,
  errors,
} from '../schemas.js';

export function sessionRoutes(app: FastifyInstance, ctx: ApiContext) {
  const security = [{ bearer: [] }];
  const auth = { onRequest: ctx.authenticate };

  app.post<{ Body: CreateSessionRequest }>(
    '/api/v1/sessions',
    {
      ...auth,
      schema: {
        summary:
          'Start a session from a template; answers pending and an agent takes it from there, or running when it claimed one from the template’s warm pool',
        tags: ['sessions'],
        security,
        body: CreateSessionRequest,
        response: { 201: SessionBody, ...errors(400, 401, 403, 404, 503), 429: SessionLimitBody },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await ctx.sessions.create(caller(request), request.body, request.ip)),
  );

  app.get<{ Querystring: { state?: SessionStateName; user?: string } }>(
    '/api/v1/sessions',
    {
      ...auth,
      schema: {
        summary: 'Your sessions (all sessions for admins); deleted ones only when filtered by state',
        tags: ['sessions'],
        security,
        querystring: SessionQuery,
        response: { 200: Type.Array(SessionBody), ...errors(400, 401) },
      },
    },
    (request) => ctx.sessions.list(caller(request), request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/sessions/:id',
    {
      ...auth,
      schema: {
        summary: 'One session',
        tags: ['sessions'],
        security,
        params: IdParam,
        response: { 200: SessionBody, ...errors(401, 404) },
      },
    },
    (request) => ctx.sessions.get(caller(request), request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: UpdateSessionRequest }>(
    '/api/v1/sessions/:id',
    {
      ...auth,
      schema: {
        summary: 'Ask for running (resume), hibernated or stopped; 409 lists what is allowed',
        tags: ['sessions'],
        security,
        params: IdParam,
        body: UpdateSessionRequest,
        response: { 200: SessionBody, ...errors(400, 401, 404, 409) },
      },
    },
    (request) => ctx.sessions.request(caller(request), request.params.id, request.body.state, request.ip),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/sessions/:id',
    {
      ...auth,
      schema: {
        summary: 'Delete a session: its container and home volume are removed by the agent',
        tags: ['sessions'],
        security,
        params: IdParam,
        response: { 200: SessionBody, ...errors(401, 404) },
      },
    },
    (request) => ctx.sessions.delete(caller(request), request.params.id, request.ip),
  );
}
