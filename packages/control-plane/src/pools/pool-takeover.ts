import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.js';
import {
  cancelCommands,
  listOnlinePoolMembers,
  listUnfinishedCommands,
  findAbandonedPoolAgents,
  lockSessionsToMove,
  reassignSession,
} from '../db/queries/takeover.js';
import { insertCommand } from '../db/queries/commands.js';
import type { CommandDispatcher } from '../dispatcher/command-dispatcher.js';
import { PLACEMENT_LOCK_KEY } from '../scheduler/scheduler.js';
import { LIFECYCLE_COMMANDS, planTakeover, type OrphanedSession } from './takeover-plan.js';

export interface TakeoverOutcome {
  from: string;
  moved: Array<{ sessionId: string; to: string; toUuid: string; commands: string[] }>;
}

/**
 * Agent pools' failover (architecture.md, "Agent pools"): when an agent of a pool has been offline
 * for the heartbeat timeout, or has been revoked (at the next tick: it can never return, so there is
 * nothing to wait for), its sessions are handed to the pool's online agents — the rows change
 * owner and the new owner gets `adopt_session` (or the command that was in flight) through the
 * durable dispatcher. The session's container or pod keeps running throughout.
 *
 * Runs in every replica's maintenance tick; the database decides: one transaction under the
 * placement lock (a takeover changes agents' loads like a placement does), with the dead agent's
 * row locked, so two replicas never move a session twice and a returning agent either registers
 * before the move (and keeps its sessions) or after it (and finds them gone).
 */
export class PoolTakeover {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly dispatcher: CommandDispatcher,
    private readonly logger: Logger,
    private readonly heartbeatTimeoutMs: number,
  ) {}

  async run(): Promise<TakeoverOutcome[]> {
    const some = await findAbandonedPoolAgents(this.db, this.heartbeatTimeoutMs, LIFECYCLE_COMMANDS, false);
    if (some.length === 0) return [];
    const outcomes = await this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${PLACEMENT_LOCK_KEY})`.execute(trx);
      const results: TakeoverOutcome[] = [];
      for (const dead of await findAbandonedPoolAgents(trx, this.heartbeatTimeoutMs, LIFECYCLE_COMMANDS, true)) {
        const members = await listOnlinePoolMembers(trx, dead.pool!, dead.platform, dead.id);
        const sessions = await lockSessionsToMove(trx, dead.id, LIFECYCLE_COMMANDS);
        const commands = await listUnfinishedCommands(
          trx,
          dead.id,
          sessions.map((s) => s.id),
        );
        const orphans: OrphanedSession[] = sessions.map((s) => ({
          id: s.id,
          state: s.state,
          commands: commands
            .filter((c) => c.session_id === s.id)
            .map((c) => ({ id: c.id, type: c.command_type, data: c.command_data, createdAt: c.created_at })),
        }));
        const plan = planTakeover(
          dead.agent_id,
          orphans,
          members.map((m) => ({ id: m.id, agentId: m.agent_id, activeSessions: Number(m.active_sessions ?? 0) })),
        );
        const outcome: TakeoverOutcome = { from: dead.agent_id, moved: [] };
        const gone = dead.revoked_at ? 'was revoked' : 'went offline';
        for (const move of plan) {
          const state = orphans.find((o) => o.id === move.sessionId)!.state;
          const reason =
            state === 'failed' || state === 'deleted'
              ? undefined
              : `taken over by agent ${move.to.agentId} of pool ${dead.pool} after agent ${dead.agent_id} ${gone}`;
          if (!(await reassignSession(trx, move.sessionId, dead.id, move.to.id, reason))) continue;
          await cancelCommands(
            trx,
            move.cancel,
            `agent ${dead.agent_id} ${gone}; its pool's agent ${move.to.agentId} took the session over`,
          );
          for (const command of move.send) {
            await insertCommand(trx, { agentUuid: move.to.id, sessionId: move.sessionId, ...command });
          }
          outcome.moved.push({
            sessionId: move.sessionId,
            to: move.to.agentId,
            toUuid: move.to.id,
            commands: move.send.map((c) => c.type),
          });
        }
        if (outcome.moved.length > 0) results.push(outcome);
      }
      return results;
    });
    for (const outcome of outcomes) {
      for (const move of outcome.moved) {
        this.logger.warn(
          { sessionId: move.sessionId, from: outcome.from, to: move.to, commands: move.commands },
          `session ${move.sessionId} taken over by agent ${move.to} from offline agent ${outcome.from}`,
        );
      }
    }
    return outcomes;
  }
}
