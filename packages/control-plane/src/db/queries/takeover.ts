import { sql, type Kysely, type Transaction } from 'kysely';
import type { Schema } from '../schema.js';
import { ACTIVE_STATES } from './sessions.js';
import type { CommandType } from '@streamspace/protocol';

type Db = Kysely<Schema> | Transaction<Schema>;

const UNFINISHED = ['pending', 'sent', 'acked'] as const;

/**
 * Offline agents of a pool whose sessions (or commands) another online member should take: no
 * heartbeat for `timeoutMs` (the same rule that marks agents offline, so every replica agrees),
 * something left to move, and a member to move it to. With `lock` the rows are locked, so an agent
 * registering again meanwhile waits and then finds its sessions moved — or registers first and
 * keeps them. Without, it is the cheap check each maintenance tick makes before taking any lock.
 */
export function findAbandonedPoolAgents(db: Db, timeoutMs: number, lifecycle: readonly CommandType[], lock: boolean) {
  const query = db
    .selectFrom('agents as a')
    .select(['a.id', 'a.agent_id', 'a.pool', 'a.platform', 'a.revoked_at'])
    .where('a.status', '=', 'offline')
    .where('a.pool', 'is not', null)
    .where((eb) =>
      eb.or([
        // Revocation is final: the agent can never come back, so nothing is gained by waiting.
        eb('a.revoked_at', 'is not', null),
        eb('a.last_heartbeat', 'is', null),
        eb('a.last_heartbeat', '<', sql<Date>`NOW() - ${timeoutMs}::double precision * INTERVAL '1 millisecond'`),
      ]),
    )
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('sessions as s')
            .select(sql`1`.as('one'))
            .whereRef('s.agent_id', '=', 'a.id')
            .where('s.state', 'not in', ['deleted', 'failed']),
        ),
        eb.exists(
          eb
            .selectFrom('agent_commands as c')
            .select(sql`1`.as('one'))
            .whereRef('c.agent_id', '=', 'a.id')
            .where('c.status', 'in', UNFINISHED)
            .where('c.command_type', 'in', lifecycle)
            .where('c.session_id', 'is not', null),
        ),
      ]),
    )
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('agents as m')
          .select(sql`1`.as('one'))
          .whereRef('m.pool', '=', 'a.pool')
          .whereRef('m.platform', '=', 'a.platform')
          .whereRef('m.id', '<>', 'a.id')
          .where('m.status', '=', 'online'),
      ),
    )
    .orderBy('a.agent_id');
  return (lock ? query.forUpdate() : query).execute();
}

/** Online agents of `pool` on `platform`, with their active session counts. */
export function listOnlinePoolMembers(db: Db, pool: string, platform: string, except: string) {
  return db
    .selectFrom('agents as a')
    .select([
      'a.id',
      'a.agent_id',
      (eb) =>
        eb
          .selectFrom('sessions as s')
          .select((e) => sql<number>`${e.fn.countAll()}::int`.as('n'))
          .whereRef('s.agent_id', '=', 'a.id')
          .where('s.state', 'in', ACTIVE_STATES)
          .as('active_sessions'),
    ])
    .where('a.pool', '=', pool)
    .where('a.platform', '=', platform)
    .where('a.status', '=', 'online')
    .where('a.id', '<>', except)
    .execute();
}

/**
 * The sessions to move off `agentUuid`: everything still alive there, plus deleted or failed
 * sessions whose last command (a delete, a stop) the agent never finished. Locked for the move.
 */
export function lockSessionsToMove(trx: Transaction<Schema>, agentUuid: string, lifecycle: readonly CommandType[]) {
  return trx
    .selectFrom('sessions as s')
    .select(['s.id', 's.state'])
    .where('s.agent_id', '=', agentUuid)
    .where((eb) =>
      eb.or([
        eb('s.state', 'not in', ['deleted', 'failed']),
        eb.exists(
          eb
            .selectFrom('agent_commands as c')
            .select(sql`1`.as('one'))
            .whereRef('c.session_id', '=', 's.id')
            .where('c.agent_id', '=', agentUuid)
            .where('c.status', 'in', UNFINISHED)
            .where('c.command_type', 'in', lifecycle),
        ),
      ]),
    )
    .forUpdate()
    .execute();
}

/** The agent's commands that never completed, for the sessions being moved. */
export function listUnfinishedCommands(db: Db, agentUuid: string, sessionIds: string[]) {
  if (sessionIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('agent_commands')
    .select(['id', 'session_id', 'command_type', 'command_data', 'created_at'])
    .where('agent_id', '=', agentUuid)
    .where('session_id', 'in', sessionIds)
    .where('status', 'in', UNFINISHED)
    .execute();
}

export function cancelCommands(db: Db, ids: string[], reason: string) {
  if (ids.length === 0) return Promise.resolve();
  return db
    .updateTable('agent_commands')
    .set({ status: 'cancelled', result: JSON.stringify({ error: reason }), completed_at: sql<Date>`NOW()` })
    .where('id', 'in', ids)
    .where('status', 'in', UNFINISHED)
    .execute()
    .then(() => undefined);
}

/** Hands the session to another agent; the `from` guard keeps a concurrent move from doubling. */
export function reassignSession(db: Db, sessionId: string, from: string, to: string, reason: string | undefined) {
  return db
    .updateTable('sessions')
    .set({ agent_id: to, ...(reason !== undefined ? { state_reason: reason } : {}), updated_at: new Date() })
    .where('id', '=', sessionId)
    .where('agent_id', '=', from)
    .executeTakeFirst()
    .then((r) => Number(r.numUpdatedRows) === 1);
}
