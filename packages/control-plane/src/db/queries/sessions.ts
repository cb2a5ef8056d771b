import { sql, type Kysely } from 'kysely';
import { SLOT_HOLDING_STATES, type SessionStateName } from '@streamspace/protocol';
import type { Schema, Session } from '../schema.js';

type Db = Kysely<Schema>;

/** States in which a session occupies a slot on its agent (the protocol's state table says which). */
export const ACTIVE_STATES: readonly SessionStateName[] = SLOT_HOLDING_STATES;

export function insertSession(
  db: Db,
  session: Pick<Session, 'user_id' | 'template_id' | 'template_name' | 'state_reason' | 'region'>,
): Promise<Session> {
  return db
    .insertInto('sessions')
    .values({ ...session, state: 'pending' })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Locks the user's row for the rest of the transaction (parallel creates queue here) and returns
 * their own session limit. */
export function lockUserForSessions(db: Db, userId: string) {
  return db
    .selectFrom('users')
    .select(['id', 'username', 'max_sessions'])
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
}

export function sessionsInStates(db: Db, userId: string, states: readonly SessionStateName[]) {
  return db
    .selectFrom('sessions')
    .select(['id', 'template_name', 'state'])
    .where('user_id', '=', userId)
    .where('state', 'in', states)
    .orderBy('created_at')
    .execute();
}

export function findSession(db: Db, id: string): Promise<Session | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface SessionFilter {
  userId?: string | undefined;
  state?: SessionStateName | undefined;
}

/** Deleted sessions are listed only when asked for by state. */
export function listSessions(db: Db, filter: SessionFilter): Promise<Session[]> {
  let query = db.selectFrom('sessions').selectAll().orderBy('created_at', 'desc');
  if (filter.userId) query = query.where('user_id', '=', filter.userId);
  query = filter.state ? query.where('state', '=', filter.state) : query.where('state', '!=', 'deleted');
  return query.execute();
}

export interface StateChange {
  state: SessionStateName;
  state_reason: string | null;
  progress?: Record<string, unknown> | null;
  agent_id?: string | null;
  platform?: string | null;
  platform_metadata?: Record<string, unknown> | null;
}

/**
 * Moves a session from `from` to a new state. The `from` guard makes concurrent changes (two
 * replicas, an agent report racing a user request) safe: the loser updates nothing and re-reads.
 * `guard.warmPool` also requires the session to be (or not be) an unclaimed pool session, so a
 * drain never deletes a session a user claimed a moment before.
 */
export function updateSessionState(
  db: Db,
  id: string,
  from: SessionStateName,
  change: StateChange,
  guard: { warmPool?: boolean } = {},
) {
  const { progress, platform_metadata, ...rest } = change;
  let query = db
    .updateTable('sessions')
    .set({
      ...rest,
      ...(progress !== undefined ? { progress: progress === null ? null : JSON.stringify(progress) } : {}),
      ...(platform_metadata !== undefined
        ? { platform_metadata: platform_metadata === null ? null : JSON.stringify(platform_metadata) }
        : {}),
      state_changed_at: sql<Date>`CASE WHEN state = ${change.state}::text THEN state_changed_at ELSE NOW() END`,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .where('state', '=', from);
  if (guard.warmPool !== undefined) query = query.where('warm_pool', '=', guard.warmPool);
  return query.returningAll().executeTakeFirst();
}

/** Progress changes without a state change (image pull bytes, "waiting for VNC"). */
export function updateSessionProgress(db: Db, id: string, state: SessionStateName, progress: Record<string, unknown>) {
  return db
    .updateTable('sessions')
    .set({ progress: JSON.stringify(progress), updated_at: new Date() })
    .where('id', '=', id)
    .where('state', '=', state)
    .executeTakeFirst();
}

/** Pending sessions not yet handed to an agent, oldest first; users' own before warm-pool ones, so a
 * pool never takes the last free slot from someone waiting. */
export function listUndispatchedSessions(db: Db, limit: number) {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('state', '=', 'pending')
    .where('agent_id', 'is', null)
    .orderBy('warm_pool')
    .orderBy('created_at')
    .limit(limit)
    .execute();
}

/**
 * Fails sessions stuck in pending or starting for longer than the start timeout, keeping the
 * reason they were waiting for: "never pending forever" (the seeds' P0).
 */
export function failTimedOutSessions(db: Db, timeoutMs: number) {
  return db
    .updateTable('sessions')
    .set({
      state: 'failed',
      state_reason: sql<string>`'did not start within ' || ${formatSeconds(timeoutMs)}::text || ': ' || COALESCE(state_reason, state)`,
      state_changed_at: sql<Date>`NOW()`,
      updated_at: sql<Date>`NOW()`,
    })
    .where((eb) => {
      const cutoff = sql<Date>`NOW() - ${timeoutMs}::double precision * INTERVAL '1 millisecond'`;
      return eb.and([
        eb('state', 'in', ['pending', 'starting']),
        eb('state_changed_at', '<', cutoff),
        // A start its agent still reports progress for (an image being built can take longer than
        // the timeout) is alive: it times out SESSION_START_TIMEOUT after the last report.
        eb.or([eb('state', '=', 'pending'), eb('updated_at', '<', cutoff)]),
      ]);
    })
    .returning(['id', 'agent_id', 'state_reason'])
    .execute();
}

function formatSeconds(ms: number) {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

export async function countSessionsByState(db: Db) {
  return db
    .selectFrom('sessions')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
}

/** Sessions an agent should be running, for reconciliation after it reconnects. */
export function listAgentSessions(db: Db, agentUuid: string) {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('agent_id', '=', agentUuid)
    .where('state', 'not in', ['deleted', 'failed'])
    .execute();
}
