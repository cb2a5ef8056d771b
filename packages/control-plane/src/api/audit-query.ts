import { Type, type Static } from 'typebox';
import { BadRequestError } from '../errors.js';
import type { AuditFilter, AuditPosition } from '../db/queries/audit.js';

export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 1000;

/** Everything arrives as text (the API does not coerce types); each value is checked below with
 * a message naming the parameter. */
export const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'username or user id' })),
    action: Type.Optional(
      Type.String({ minLength: 1, maxLength: 65, description: 'exact (auth.login) or a prefix ending in * (auth.*)' }),
    ),
    target_type: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    target_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    since: Type.Optional(Type.String({ maxLength: 64, description: 'RFC 3339; entries at or after' })),
    until: Type.Optional(Type.String({ maxLength: 64, description: 'RFC 3339; entries before' })),
    limit: Type.Optional(
      Type.String({ maxLength: 10, description: `1–${AUDIT_PAGE_MAX}, default ${AUDIT_PAGE_DEFAULT}` }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' })),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('jsonl')], {
        description: 'json: one page; csv and jsonl: a download of every matching entry',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export interface AuditRequest {
  filter: AuditFilter;
  limit: number;
  after: AuditPosition | undefined;
  format: 'json' | 'csv' | 'jsonl';
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** A real instant in RFC 3339 (`2026-11-30T08:00:00Z`, `…+01:00`), or why not. Day 30 of February
 * is refused here: JavaScript's parser would roll it over and PostgreSQL would fail on it. */
function checkTimestamp(name: string, raw: string): string {
  const m = RFC3339.exec(raw);
  const [year, month, day, hour, minute, second, , offsetHours, offsetMinutes] = (m ?? []).slice(1).map(Number);
  const calendar = m ? new Date(Date.UTC(year!, month! - 1, day!)) : undefined;
  const valid =
    calendar !== undefined &&
    calendar.getUTCMonth() === month! - 1 &&
    calendar.getUTCDate() === day &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59 &&
    (m![8] === undefined || (offsetHours! <= 23 && offsetMinutes! <= 59));
  if (!valid) {
    throw new BadRequestError(
      `${name}: expected an RFC 3339 time like 2026-11-30T08:00:00Z or 2026-11-30T09:00:00+01:00, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

function checkAction(raw: string): string | undefined {
  if (raw === '*') return undefined;
  if (!/^[A-Za-z0-9_.:-]+\*?$/.test(raw)) {
    throw new BadRequestError(
      `action: expected an exact action (auth.login) or a prefix ending in * (auth.*), got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

function checkLimit(raw: string | undefined): number {
  if (raw === undefined) return AUDIT_PAGE_DEFAULT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > AUDIT_PAGE_MAX) {
    throw new BadRequestError(`limit: expected a whole number from 1 to ${AUDIT_PAGE_MAX}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The cursor is opaque to clients; inside, the last row's exact time and id. */
export function encodeCursor(position: AuditPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

export function decodeCursor(raw: string): AuditPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (
      typeof at === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(at) &&
      typeof id === 'string' &&
      /^\d{1,19}$/.test(id)
    ) {
      return { at, id };
    }
  } catch {
    // reported below
  }
  throw new BadRequestError(
    'cursor: not a cursor this API returned; pass next_cursor from the previous page unchanged, or leave it out for the newest entries',
  );
}

/** Checks GET /api/v1/audit's parameters; the first bad one becomes a 400 that names it. */
export function parseAuditQuery(query: AuditQuery): AuditRequest {
  const since = query.since === undefined ? undefined : checkTimestamp('since', query.since);
  const until = query.until === undefined ? undefined : checkTimestamp('until', query.until);
  if (since !== undefined && until !== undefined && Date.parse(since) > Date.parse(until)) {
    throw new BadRequestError(`since (${since}) is after until (${until}); swap them`);
  }
  return {
    filter: {
      actor: query.actor,
      action: query.action === undefined ? undefined : checkAction(query.action),
      targetType: query.target_type,
      targetId: query.target_id,
      since,
      until,
    },
    limit: checkLimit(query.limit),
    after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    format: query.format ?? 'json',
  };
}
