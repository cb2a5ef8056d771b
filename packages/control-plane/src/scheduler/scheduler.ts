import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema, Template } from '../db/schema.js';
import { findPlacementCandidates } from '../db/queries/agents.js';
import { listUndispatchedSessions, updateSessionState } from '../db/queries/sessions.js';
import { canTransition } from '../sessions/session-state.js';
import { CoalescedPass } from '../coalesced-pass.js';
import type { CommandDispatcher } from '../dispatcher/command-dispatcher.js';

/** Serialises placement across replicas so two of them cannot both fill an agent's last slot. */
export const PLACEMENT_LOCK_KEY = 727_310_002;

export type Placement = { placed: true; agentId: string } | { placed: false; reason: string };

/** The payload an agent needs to start a session: everything from the template, nothing to look up. */
export function startPayload(template: Template, username: string) {
  return {
    user: username,
    template: {
      name: template.name,
      image: template.image,
      vnc_port: template.vnc_port,
      cpu_limit: template.cpu_limit,
      memory_limit_mb: template.memory_limit_mb,
      env: template.env,
      persistent_home: template.persistent_home,
    },
  };
}

export function waitingReason(platform: string | null, region: string | null) {
  return `waiting for an online ${platform ?? 'docker or kubernetes'} agent${region ? ` (preferring region ${region})` : ''} with a free slot`;
}

/**
 * Picks an agent for each pending session: an online agent of the template's platform with free
 * capacity, in the requested region if one has room, else the least loaded. The start command is
 * written in the same transaction that assigns the agent.
 */
export class Scheduler {
  readonly #pending = new CoalescedPass(async () => {
    for (const session of await listUndispatchedSessions(this.db, 500)) await this.place(session.id);
  });

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly dispatcher: CommandDispatcher,
    private readonly logger: Logger,
  ) {}

  async place(sessionId: string): Promise<Placement> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${PLACEMENT_LOCK_KEY})`.execute(trx);
      const session = await trx
        .selectFrom('sessions as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .leftJoin('templates as t', 't.id', 's.template_id')
        .select(['s.id', 's.state', 's.agent_id', 's.region', 'u.username', 't.id as template_id'])
        .where('s.id', '=', sessionId)
        .executeTakeFirst();
      if (!session || session.state !== 'pending' || session.agent_id) {
        return { placed: false as const, reason: 'not pending' };
      }
      const template = session.template_id
        ? await trx.selectFrom('templates').selectAll().where('id', '=', session.template_id).executeTakeFirst()
        : undefined;
      if (!template) {
        // Through the state machine like every other change (pending → failed is allowed).
        if (canTransition(session.state, 'failed'))
          await updateSessionState(trx, sessionId, session.state, {
            state: 'failed',
            state_reason: 'its template was deleted before it could start',
          });
        return { placed: false as const, reason: 'template deleted' };
      }
      const platform = template.platform === 'any' ? null : template.platform;
      const [agent] = await findPlacementCandidates(trx, {
        platform,
        region: session.region,
        cpu: template.cpu_limit,
        memoryMb: template.memory_limit_mb,
      });
      if (!agent) {
        const reason = waitingReason(platform, session.region);
        // Written only when it changes: every write NOTIFYs every replica's live-update streams, and
        // placement is retried for each waiting session whenever a slot may have opened.
        await trx
          .updateTable('sessions')
          .set({ state_reason: reason })
          .where('id', '=', sessionId)
          .where('state_reason', 'is distinct from', reason)
          .execute();
        return { placed: false as const, reason };
      }
      await trx
        .updateTable('sessions')
        .set({
          agent_id: agent.id,
          platform: agent.platform,
          state_reason: `assigned to agent ${agent.agent_id}; waiting for it to start the session`,
          updated_at: new Date(),
        })
        .where('id', '=', sessionId)
        .execute();
      await this.dispatcher.enqueueIn(trx, {
        agentUuid: agent.id,
        sessionId,
        type: 'start_session',
        data: startPayload(template, session.username),
      });
      return { placed: true as const, agentId: agent.agent_id, agentUuid: agent.id };
    });
    if (outcome.placed) {
      this.logger.info({ sessionId, agentId: outcome.agentId }, 'session assigned to agent');
      return { placed: true, agentId: outcome.agentId };
    }
    return outcome;
  }

  /**
   * Tries every undispatched pending session. Calls that arrive while a pass is running coalesce
   * into one more pass, so a burst of agent registrations does not start a burst of passes.
   */
  placePending(): Promise<void> {
    return this.#pending.run();
  }
}
