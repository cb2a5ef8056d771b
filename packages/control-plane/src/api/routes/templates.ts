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

/**
 * A pooled session is started before anyone claims it, so it cannot mount its user's home: the two
 * settings exclude each other. `current` is the stored template a PATCH changes.
 */
function refuseWarmPersistentHome(
  body: { warm_pool?: number | undefined; persistent_home?: boolean | undefined },
  current?: Pick<Template, 'warm_pool' | 'persistent_home'>,
) {
  const warmPool = body.warm_pool ?? current?.warm_pool ?? 0;
  const persistentHome = body.persistent_home ?? current?.persistent_home ?? false;
  if (warmPool > 0 && persistentHome)
    throw new BadRequestError(
      `warm_pool: a template with persistent_home cannot keep a warm pool (a pooled session is started before its user is known, so it cannot mount their home); set warm_pool to 0 or persistent_home to false`,
      'warm_pool',
    );
}

/** The database's own check (migration 0021) caught a change racing another: the same answer. */
function warmPoolConflict(error: { code?: string; constraint?: string }): never {
  if (error.code === '23514' && error.constraint === 'templates_warm_pool_home')
    refuseWarmPersistentHome({ warm_pool: 1, persistent_home: true });
  throw error;
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
      refuseWarmPersistentHome(request.body);
      const { idle_timeout, max_lifetime, ...fields } = request.body;
      // persistent_home defaults to true; a pooled template cannot have one, so asking for a pool
      // without naming persistent_home means without it.
      if ((fields.warm_pool ?? 0) > 0) fields.persistent_home ??= false;
      const limits = templateLimitColumns({ idle_timeout, max_lifetime });
      const template = await insertTemplate(ctx.db, { ...fields, ...limits }).catch((error: { code?: string }) => {
        if (error.code === '23505')
          throw new ConflictError(`Template ${JSON.stringify(request.body.name)} already exists; change it with PATCH`);
        return warmPoolConflict(error);
      });
      await auditRequest(ctx, request, { action: 'template.create', targetType: 'template', targetId: template.name });
      if (template.warm_pool > 0) ctx.warmPools?.kick();
      return reply.code(201).send(templateForApi(template));
    },
  );

  app.patch<{ Params: { name: string }; Body: Type.Static<typeof UpdateTemplateRequest> }>(
    '/api/v1/templates/:name',
    {
      ...admin,
      schema: {
        summary: 'Change a template (admin); running sessions keep what they started with, its warm pool is restarted',
        tags: ['templates'],
        security,
        params: NameParam,
        body: UpdateTemplateRequest,
        response: { 200: TemplateBody, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      refuseReservedEnv(request.body.env);
      const current = await findTemplateByName(ctx.db, request.params.name);
      if (!current) throw new NotFoundError('template', request.params.name);
      refuseWarmPersistentHome(request.body, current);
      const { idle_timeout, max_lifetime, ...fields } = request.body;
      const limits = templateLimitColumns({ idle_timeout, max_lifetime });
      const template = await updateTemplate(ctx.db, request.params.name, { ...fields, ...limits }).catch(
        warmPoolConflict,
      );
      if (!template) throw new NotFoundError('template', request.params.name);
      await auditRequest(ctx, request, { action: 'template.update', targetType: 'template', targetId: template.name });
      // A changed size, image, limit or env: the pool follows now rather than on the next tick.
      if (template.warm_pool > 0 || current.warm_pool > 0) ctx.warmPools?.kick();
      return templateForApi(template);
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/templates/:name',
    {
      ...admin,
      schema: {
        summary: 'Remove a template (admin); existing sessions keep running, its warm pool is drained',
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
      ctx.warmPools?.kick(); // its pool sessions, if any, are drained
      return reply.code(204).send();
    },
  );
}
