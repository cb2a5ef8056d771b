import { sql, type Kysely, type Transaction } from 'kysely';
import type { Schema } from '../schema.js';
import { isUuid } from '../../ids.js';

export interface AuditEntry {
  actorUserId: string | null;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
  ip?: string | null;
}

export async function recordAudit(db: Kysely<Schema> | Transaction<Schema>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      actor_user_id: entry.actorUserId,
      actor: entry.actor,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      details: JSON.stringify(entry.details ?? {}),
      ip: entry.ip ?? null,
    })
    .execute();
}

/** What GET /api/v1/audit filters by; every field is optional and they combine with AND. */
export interface AuditFilter {
  /** A username (the `actor` column) or a user id (`actor_user_id`, or `actor` for agents/system). */
  actor?: string | undefined;
  /** An exact action, or a prefix when it ends in `*` (`auth.*`). */
  action?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  /** RFC 3339, inclusive. Kept as text so the database parses it to the microsecond. */
  since?: string | undefined;
  /** RFC 3339, exclusive. */
  until?: string | undefined;
}

/** Where a page ended: the last row's exact time (microseconds, UTC) and id. */
export interface AuditPosition {
  at: string;
  id: string;
}

export interface AuditRow {
  id: string;
  /** RFC 3339 in UTC with microseconds: the database's own precision, so it can key the next page. */
  at: string;
  actor_user_id: string | null;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** `%`, `_` and `\` in a prefix are literal characters, not LIKE wildcards (`auth.login_*`). */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One page of the audit log, newest first, after `after` (keyset on (at, id): rows that share a
 * timestamp are neither skipped nor repeated between pages, and rows written meanwhile do not shift
 * the pages). Exports call it again and again with the last row's position.
 */
export function listAuditEntries(
  db: Kysely<Schema>,
  filter: AuditFilter,
  page: { after?: AuditPosition | undefined; limit: number },
): Promise<AuditRow[]> {
  let query = db
    .selectFrom('audit_log')
    .select([
      sql<string>`id::text`.as('id'),
      sql<string>`to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('at'),
      sql<string | null>`actor_user_id::text`.as('actor_user_id'),
      'actor',
      'action',
      'target_type',
      'target_id',
      'ip',
      'details',
    ]);
  const { actor, action, targetType, targetId, since, until } = filter;
  if (actor !== undefined) {
    query = isUuid(actor)
      ? query.where((eb) => eb.or([eb('actor_user_id', '=', actor), eb('actor', '=', actor)]))
      : query.where('actor', '=', actor);
  }
  if (action !== undefined) {
    query = action.endsWith('*')
      ? query.where('action', 'like', likePrefix(action.slice(0, -1)))
      : query.where('action', '=', action);
  }
  if (targetType !== undefined) query = query.where('target_type', '=', targetType);
  if (targetId !== undefined) query = query.where('target_id', '=', targetId);
  if (since !== undefined) query = query.where(sql<boolean>`at >= ${since}::timestamptz`);
  if (until !== undefined) query = query.where(sql<boolean>`at < ${until}::timestamptz`);
  if (page.after) {
    query = query.where(sql<boolean>`(at, id) < (${page.after.at}::timestamptz, ${page.after.id}::bigint)`);
  }
  return query.orderBy('audit_log.at', 'desc').orderBy('audit_log.id', 'desc').limit(page.limit).execute() as Promise<
    AuditRow[]
  >;
}
