import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';

/** How long rows that only grow are kept once they stop mattering. */
export const RETENTION = {
  /** Login failure windows last minutes; a day covers any window the limiter uses. */
  loginFailuresMs: 24 * 3_600_000,
  /** Finished commands are history (their result is on the session); a week helps debugging. */
  finishedCommandsMs: 7 * 24 * 3_600_000,
};

const olderThan = (ms: number) => sql<Date>`NOW() - ${ms}::double precision * INTERVAL '1 millisecond'`;

/** Failure windows that ended long ago: the key (a user name or an address) is forgotten. */
export async function pruneLoginFailures(db: Kysely<Schema>, keepMs = RETENTION.loginFailuresMs): Promise<number> {
  const result = await db
    .deleteFrom('login_failures')
    .where('window_started_at', '<', olderThan(keepMs))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Commands that completed, failed or were cancelled long ago; pending and in-flight ones stay. */
export async function pruneFinishedCommands(
  db: Kysely<Schema>,
  keepMs = RETENTION.finishedCommandsMs,
): Promise<number> {
  const result = await db
    .deleteFrom('agent_commands')
    .where('status', 'in', ['completed', 'failed', 'cancelled'])
    .where(sql<boolean>`COALESCE(completed_at, created_at) < ${olderThan(keepMs)}`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Audit entries older than AUDIT_RETENTION, oldest first, at most `batch` per call: a first prune of
 * a large log is spread over several maintenance ticks instead of holding one long delete.
 * `keepMs` 0 keeps everything.
 */
export async function pruneAuditLog(db: Kysely<Schema>, keepMs: number, batch = 5_000): Promise<number> {
  if (keepMs <= 0) return 0;
  const result = await db
    .deleteFrom('audit_log')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('audit_log')
        .select('id')
        .where('at', '<', olderThan(keepMs))
        .orderBy('at')
        .orderBy('id')
        .limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
