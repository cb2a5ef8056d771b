import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import {
  deleteTemplate,
  findTemplateByName,
  insertTemplate,
  listTemplates,
  updateTemplate,
} from '../../db/queries/templates.js';
import { requireAdmin } from '../../auth/authenticate.js';
import { auditRequest } from '../audit-request.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../errors.js';
import type { Template } from '../../db/schema.js';
import type { ApiContext } from '../context.js';
import { templateForApi, templateLimitColumns } from '../template-limits.js';
import { CreateTemplateRequest, NameParam, TemplateBody, UpdateTemplateRequest, errors } from '../schemas.js';

/**
 * Names StreamSpace sets in every session (the VNC password, the session's identity): a template
 * setting one would override them, e.g. hand every session the same known VNC password.
 */
const RESERVED_ENV = /^(VNC_|STREAMSPACE_)/i;

function refuseReservedEnv(env: Record<string, string> | undefined) {
  const reserved = Object.keys(env ?? {}).find((name) => RESERVED_ENV.test(name));
  if (reserved)
    throw new BadRequestError(
      `env: ${reserved} is reserved (VNC_* and STREAMSPACE_* are set by StreamSpace); choose another name`,
      'env',
    );
}

/** Users see what a template is, not how it is built: image and env are for admins. */
function forCaller(template: Template, role: string | undefined) {
  if (role === 'admin') return templateForApi(template);
  const { image: _image, env: _env, ...rest } = templateForApi(template);
  return rest;
}

export function templateRoutes(app: FastifyInstance, ctx: ApiContext) {
  const security = [{ bearer: [] }];
  const admin = { onRequest: ctx.authenticate, preHandler: requireAdmin };

  app.get(
    '/api/v1/templates',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'The app catalog',
        tags: ['templates'],
        security,
        response: { 200: Type.Array(TemplateBody), ...errors(401) },
      },
    },
    async (request) => (await listTemplates(ctx.db)).map((t) => forCaller(t, request.user?.role)),
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/templates/:name',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'One template',
        tags: ['templates'],
        security,
        params: NameParam,
        response: { 200: TemplateBody, ...errors(401, 404) },
      },
    },
    async (request) => {
      const template = await findTemplateByName(ctx.db, request.params.name);
      if (!template) throw new NotFoundError('template', request.params.name);
      return forCaller(template, request.user?.role);
    },
  );

  app.post<{ Body: CreateTemplateRequest }>(
    '/api/v1/templates',
    {
      ...admin,
      schema: {
        summary: 'Add a template (admin)',
        tags: ['templates'],
        security,
        body: CreateTemplateRequest,
        response: { 201: TemplateBody, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      refuseReservedEnv(request.body.env);
      const { idle_timeout, max_lifetime, ...fields } = request.body;
      const limits = templateLimitColumns({ idle_timeout, max_lifetime });
      const template = await insertTemplate(ctx.db, { ...fields, ...limits }).catch((error: { code?: string }) => {
        if (error.code === '23505')
          throw new ConflictError(`Template ${JSON.stringify(request.body.name)} already exists; change it with PATCH`);
        throw error;
      });
      await auditRequest(ctx, request, { action: 'template.create', targetType: 'template', targetId: template.name });
      return reply.code(201).send(templateForApi(template));
    },
  );

  app.patch<{ Params: { name: string }; Body: Type.Static<typeof UpdateTemplateRequest> }>(
    '/api/v1/templates/:name',
    {
      ...admin,
      schema: {
        summary: 'Change a template (admin); running sessions keep what they started with',
        tags: ['templates'],
        security,
        params: NameParam,
        body: UpdateTemplateRequest,
        response: { 200: TemplateBody, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      refuseReservedEnv(request.body.env);
      const { idle_timeout, max_lifetime, ...fields } = request.body;
      const limits = templateLimitColumns({ idle_timeout, max_lifetime });
      const template = await updateTemplate(ctx.db, request.params.name, { ...fields, ...limits });
      if (!template) throw new NotFoundError('template', request.params.name);
      await auditRequest(ctx, request, { action: 'template.update', targetType: 'template', targetId: template.name });
      return templateForApi(template);
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/templates/:name',
    {
      ...admin,
      schema: {
        summary: 'Remove a template (admin); existing sessions keep running',
        tags: ['templates'],
        security,
        params: NameParam,
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await deleteTemplate(ctx.db, request.params.name)))
        throw new NotFoundError('template', request.params.name);
      await auditRequest(ctx, request, {
        action: 'template.delete',
        targetType: 'template',
        targetId: request.params.name,
      });
      return reply.code(204).send();
    },
  );
}
