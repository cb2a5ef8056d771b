import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { ApiContext } from './context.js';
import { installErrorHandling } from './error-handler.js';
import { healthRoutes } from './routes/health.js';
import { authRoutes } from './routes/auth.js';
import { userRoutes } from './routes/users.js';
import { mfaRoutes } from './routes/mfa.js';
import { mfaLoginRoutes } from './routes/mfa-login.js';
import { meRoutes } from './routes/me.js';
import { apiTokenRoutes } from './routes/api-tokens.js';
import { templateRoutes } from './routes/templates.js';
import { sessionRoutes } from './routes/sessions.js';
import { agentRoutes } from './routes/agents.js';
import { vncRoutes } from './routes/vnc.js';
import { shareRoutes } from './routes/shares.js';
import { sessionEventRoutes } from './routes/session-events.js';
import { sessionActivityRoutes } from './routes/session-activity.js';
import { auditRoutes } from './routes/audit.js';
import { adminRoutes } from './routes/admin.js';
import { oidcRoutes } from './routes/oidc.js';
import { sessionFileRoutes } from './routes/session-files.js';
import { serveWebUi } from './web-ui.js';
import { installSecurityHeaders } from './security-headers.js';

export const BODY_LIMIT_BYTES = 256 * 1024;

/** The HTTP application: docs, error handling, security headers and every route, no listening yet. */
export async function buildApp(
  ctx: ApiContext,
  logger: Logger,
  version: string,
  publicUrl: string,
  options: { trustProxy?: string[] } = {},
): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: logger.child({ component: 'api' }) as FastifyBaseLogger,
    // Per-request lines go out at debug from the onResponse hook below, not at info from fastify.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Only the named proxies' X-Forwarded-For sets request.ip; anyone else could forge it to dodge
    // login throttling or to pin it on someone else.
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? options.trustProxy : false,
    // Wrong types are errors, not something to coerce: {"template": 123} must be a 400.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'StreamSpace API', version, description: 'Containerized desktop apps streamed to the browser.' },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'a login token (JWT from POST /api/v1/auth/login) or a personal API token (ssp_…)',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  installErrorHandling(app);
  installSecurityHeaders(app, publicUrl);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    // A download link's URL is its credential: such routes are logged by their pattern.
    const url = request.routeOptions.config.secretInUrl ? route : request.url;
    request.log.debug({ method: request.method, url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  healthRoutes(app, ctx);
  authRoutes(app, ctx);
  await oidcRoutes(app, ctx, publicUrl);
  userRoutes(app, ctx);
  mfaRoutes(app, ctx);
  mfaLoginRoutes(app, ctx);
  meRoutes(app, ctx);
  apiTokenRoutes(app, ctx);
  templateRoutes(app, ctx);
  sessionRoutes(app, ctx);
  agentRoutes(app, ctx);
  vncRoutes(app, ctx, publicUrl);
  shareRoutes(app, ctx, publicUrl);
  sessionActivityRoutes(app, ctx);
  auditRoutes(app, ctx);
  adminRoutes(app, ctx);
  await sessionEventRoutes(app, ctx);
  await sessionFileRoutes(app, ctx);
  await serveWebUi(app);
  return app;
}
