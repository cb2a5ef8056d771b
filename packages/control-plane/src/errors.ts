/**
 * Errors the API turns into `{error, message}` responses in one place (api/error-handler.ts). Each
 * message says what was wrong and what to do.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends ApiError {
  constructor(resource: string, id: string) {
    super(404, 'not_found', `${resource} ${JSON.stringify(id)} not found; list them with GET /api/v1/${resource}s`);
  }
}

export class BadRequestError extends ApiError {
  /** `field`, when the problem is one field's value: a form shows the message beside that field. */
  readonly extra: { field?: string };

  constructor(message: string, field?: string) {
    super(400, 'bad_request', message);
    this.extra = field === undefined ? {} : { field };
  }
}

export class ConflictError extends ApiError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message: string) {
    super(401, 'unauthorized', message, { 'www-authenticate': 'Bearer' });
  }
}

export class ForbiddenError extends ApiError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class TooManyRequestsError extends ApiError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'too_many_requests', message, { 'retry-after': String(retryAfterSeconds) });
  }
}

export class SessionLimitError extends ApiError {
  /** Sent beside error and message, so a client can offer to stop one of them. */
  readonly extra: Record<string, unknown>;

  constructor(username: string, limit: number, holding: Array<{ id: string; template_name: string; state: string }>) {
    const list = holding.map((s) => `${s.id} (${s.template_name}, ${s.state})`).join(', ');
    super(
      429,
      'session_limit',
      `${username} may hold ${limit} session${limit === 1 ? '' : 's'} at once and holds ${holding.length}${list ? `: ${list}` : ''}; stop or delete one first, or ask an administrator to raise the limit`,
    );
    this.extra = { limit, sessions: holding };
  }
}

export class DatabaseUnavailableError extends ApiError {
  constructor(cause: unknown) {
    super(
      503,
      'database_unavailable',
      `The database is not answering (${(cause as Error).message}); nothing was changed. Retry shortly; if it persists, check the database server.`,
      { 'retry-after': '5' },
      { cause },
    );
  }
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE']);

/**
 * True for failures to reach PostgreSQL (as opposed to a query it rejected): connection refused,
 * the server shutting down (57P01-57P03), connection exceptions (08xxx), pg's own "terminated".
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || /^(08|57P0)/.test(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i.test(
    error.message,
  );
}
