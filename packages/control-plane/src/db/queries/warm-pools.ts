import { sql, type Kysely } from 'kysely';
import type { Schema, Session, Template } from '../schema.js';
import { WARM_POOL_OWNER_ID } from '../../warm-pools/warm-spec.js';

type Db = Kysely<Schema>;

/** Whether any template keeps a pool or any pool session is left: with neither, a pass has nothing
 * to do and the maintenance tick costs one query. */
export async function anyWarmPoolWork(db: Db): Promise<boolean> {
  const result = await sql<{ any: boolean }>`
    SELECT EXISTS (SELECT 1 FROM templates WHERE warm_pool > 0)
        OR EXISTS (SELECT 1 FROM sessions WHERE warm_pool AND state <> 'deleted') AS any`.execute(db);
  return result.rows[0]?.any === true;
}

/** Pool sessions not yet claimed, whatever their state (deleted ones aside). */
export function listWarmSessions(db: Db) {
  return db
    .selectFrom('sessions')
    .select(['id', 'template_id', 'state', 'warm_spec', 'created_at'])
    .where('warm_pool', '=', true)
    .where('state', '!=', 'deleted')
    .execute();
}

/** A new pool session for `template`, pending, owned by the pool until claimed. */
export function insertWarmSession(db: Db, template: Template, spec: string) {
  return db
    .insertInto('sessions')
    .values({
      user_id: WARM_POOL_OWNER_ID,
      template_id: template.id,
      template_name: template.name,
      state: 'pending',
      state_reason: 'starting ahead for the warm pool',
      warm_pool: true,
      warm_spec: spec,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

/**
 * Hands one running pool session of the template to `userId`, or nothing when none is ready. One
 * statement: the inner SELECT locks the row it picks and skips rows another transaction holds, so
 * parallel claims (on any replica) each get a different session or none, never the same one. The
 * session starts its life for the user now: creation time (maximum lifetime) and activity (idle
 * timeout) count from the claim, not from when the pool started it.
 */
export async function claimWarmSession(
  db: Db,
  claim: { templateId: string; spec: string; userId: string; region: string | null },
): Promise<Session | undefined> {
  const result = await sql<Session>`
    UPDATE sessions s
       SET user_id = ${claim.userId}, warm_pool = FALSE, region = ${claim.region},
           state_reason = 'claimed from the warm pool', created_at = NOW(), last_activity_at = NOW(),
           updated_at = NOW()
     WHERE s.id = (
             SELECT w.id FROM sessions w JOIN agents a ON a.id = w.agent_id
              WHERE w.warm_pool AND w.template_id = ${claim.templateId} AND w.warm_spec = ${claim.spec}
                AND w.state = 'running' AND a.status = 'online'
              ORDER BY (a.region IS NOT DISTINCT FROM ${claim.region}::text) DESC, w.created_at
              LIMIT 1
                FOR UPDATE OF w SKIP LOCKED)
       AND s.warm_pool
    RETURNING s.*`.execute(db);
  return result.rows[0];
}

/** Failed pool sessions, each returned to exactly one caller as it marks it deleted. */
export function takeFailedWarmSessions(db: Db) {
  return db
    .updateTable('sessions')
    .set({ state: 'deleted', state_changed_at: sql<Date>`NOW()`, updated_at: sql<Date>`NOW()` })
    .where('warm_pool', '=', true)
    .where('state', '=', 'failed')
    .returning(['id', 'template_id', 'agent_id', 'state_reason'])
    .execute();
}

export function listWarmPoolFailures(db: Db) {
  return db.selectFrom('warm_pool_failures').selectAll().execute();
}

/** One more failed start of the template's pool; the next waits until `retryAt(failures)`. */
export async function recordWarmPoolFailure(
  db: Db,
  templateId: string,
  error: string,
  delayMs: (failures: number) => number,
) {
  const row = await db
    .insertInto('warm_pool_failures')
    .values({ template_id: templateId, failures: 1, retry_at: new Date(), last_error: error })
    .onConflict((oc) =>
      oc.column('template_id').doUpdateSet((eb) => ({
        failures: eb('warm_pool_failures.failures', '+', 1),
        last_error: error,
        updated_at: new Date(),
      })),
    )
    .returning('failures')
    .executeTakeFirstOrThrow();
  await db
    .updateTable('warm_pool_failures')
    .set({ retry_at: sql<Date>`NOW() + ${delayMs(row.failures)}::double precision * INTERVAL '1 millisecond'` })
    .where('template_id', '=', templateId)
    .execute();
  return row.failures;
}

/** A pool session of each template reached running: its pool starts normally again. */
export async function clearWarmPoolFailures(db: Db, templateIds: string[]) {
  if (templateIds.length === 0) return;
  await db.deleteFrom('warm_pool_failures').where('template_id', 'in', templateIds).execute();
}

/** Per template with a pool (or pool sessions left): size, sessions by readiness, failures. */
export async function warmPoolOverview(db: Db) {
  const result = await sql<{
    template: string;
    size: number;
    ready: number;
    starting: number;
    failures: number | null;
    last_error: string | null;
    retry_at: Date | null;
  }>`
    SELECT t.name AS template, t.warm_pool AS size,
           COUNT(s.id) FILTER (WHERE s.state = 'running')::int AS ready,
           COUNT(s.id) FILTER (WHERE s.state IN ('pending', 'starting'))::int AS starting,
           f.failures, f.last_error, f.retry_at
      FROM templates t
      LEFT JOIN sessions s ON s.template_id = t.id AND s.warm_pool AND s.state <> 'deleted'
      LEFT JOIN warm_pool_failures f ON f.template_id = t.id
     GROUP BY t.id, t.name, t.warm_pool, f.failures, f.last_error, f.retry_at
    HAVING t.warm_pool > 0 OR COUNT(s.id) > 0
     ORDER BY t.name`.execute(db);
  return result.rows;
}
