import type { FastifyError, FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { describeValidation } from './validation-error.js';
import { ApiError, BadRequestError, DatabaseUnavailableError, isDatabaseUnavailable } from '../errors.js';

/**
 * Every error becomes `{error, message}` (plus `field` when a 400 concerns one field) with the right
 * status here and nowhere else. Messages say
 * what was wrong and what to do; stack traces stay in the log.
 */
export function installErrorHandling(app: FastifyInstance) {
  // Our own JSON parser so a malformed body's error names the problem (the default says only
  // "invalid JSON"); secure-json-parse still refuses prototype poisoning.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(
        new BadRequestError('Request body is empty but Content-Type is application/json; send a JSON object'),
        undefined,
      );
      return;
    }
    try {
      done(null, secureJson.parse(text));
    } catch (error) {
      const err = new ApiError(400, 'malformed_json', `Request body is not valid JSON: ${(error as Error).message}`);
      done(err as unknown as FastifyError, undefined);
    }
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) {
      return reply
        .code(error.statusCode)
        .headers(error.headers)
        .send({ error: error.code, message: error.message, ...(error as { extra?: object }).extra });
    }
    if ('validation' in error && error.validation) {
      const { field, message } = describeValidation(error.validationContext ?? 'request', error.validation);
      return reply.code(400).send({ error: 'invalid_request', message, ...(field === undefined ? {} : { field }) });
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send({
          error: 'payload_too_large',
          message: `Request body is larger than the ${app.initialConfig.bodyLimit}-byte limit`,
        });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send({
          error: 'unsupported_media_type',
          message: `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted; send application/json`,
        });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      const unavailable = new DatabaseUnavailableError(error);
      return reply
        .code(503)
        .headers(unavailable.headers)
        .send({ error: unavailable.code, message: unavailable.message });
    }
    if ((error as { code?: string }).code === '23505') {
      return reply.code(409).send({
        error: 'conflict',
        message: `Already exists: ${(error as { detail?: string }).detail ?? error.message}`,
      });
    }
    if (error.statusCode && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: error.code ?? 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({
      error: 'internal',
      message: `Internal error (request ${request.id}); the server log has the details`,
    });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: 'not_found',
      message: `No route ${request.method} ${request.url.split('?')[0]}; the API lives under /api/v1 (see /api/docs)`,
    }),
  );
}
