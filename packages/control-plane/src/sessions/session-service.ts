import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { clipReason, holdsSlot, type SessionStatus, type SessionStateName } from '@streamspace/protocol';
import type { AgentCommand, Schema, Session } from '../db/schema.js';
import type { TokenClaims } from '../auth/tokens.js';
import { ConflictError, NotFoundError, ForbiddenError, SessionLimitError } from '../errors.js';
import { findTemplateByName } from '../db/queries/templates.js';
import { findUserByUsername } from '../db/queries/users.js';
import {
  failTimedOutSessions,
  findSession,
  insertSession,
  lockUserForSessions,
  sessionsInStates,
  updateSessionProgress,
  updateSessionState,
  type StateChange,
} from '../db/queries/sessions.js';
import { sessionViews, type SessionView } from '../db/queries/session-views.js';
import { cancelUndeliveredCommands } from '../db/queries/commands.js';
import { recordAudit } from '../db/queries/audit.js';
import type { CommandDispatcher } from '../dispatcher/command-dispatcher.js';
import { waitingReason, type Scheduler } from '../scheduler/scheduler.js';
import { QUOTA_STATES, TRANSITIONS, canTransition, planRequest, type RequestableState } from './session-state.js';
import { isUuid } from '../ids.js';
import { markSessionDeleted } from './session-delete.js';
import { claimWarmSession } from '../db/queries/warm-pools.js';
import { WARM_POOL_OWNER_ID, warmSpec } from '../warm-pools/warm-spec.js';
import { CLAIM_REFILL_DELAY_MS } from '../warm-pools/warm-pool-reconciler.js';

export interface CreateSessionRequest {
  user?: string | undefined;
  template: string;
  state?: 'running' | undefined;
  region?: string | undefined;
}

/** Audit actions for what a user asked a session to become (verbs, like the other actions). */
const REQUEST_ACTIONS: Record<RequestableState, string> = {
  running: 'session.start',
  hibernated: 'session.hibernate',
  stopped: 'session.stop',
};

export type ReportOutcome = { ok: true } | { ok: false; code: 'unknown_session' | 'invalid_payload'; message: string };

/**
 * The one place session state changes: user requests from the API, reports and command outcomes
 * from agents, and the start timeout. Each change is checked against session-state.ts.
 */
export class SessionService {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly scheduler: Scheduler,
    private readonly dispatcher: CommandDispatcher,
    private readonly logger: Logger,
    private readonly limits: { userMaxSessions: number } = { userMaxSessions: 5 },
    /** Told when a start claimed a pool session, so a replacement starts behind it. */
    private readonly warmPools?: { kick(delayMs?: number): void },
  ) {}

  async create(caller: TokenClaims, request: CreateSessionRequest, ip: string | null): Promise<SessionView> {
    let ownerId = caller.userId;
    if (request.user !== undefined && request.user !== caller.username) {
      if (caller.role !== 'admin') {
        throw new ForbiddenError(`Only admins may create sessions for another user (you are ${caller.username})`);
      }
      const owner = await findUserByUsername(this.db, request.user);
      // The warm pool's owner is not an account: sessions are claimed from it, never made for it.
      if (!owner || owner.id === WARM_POOL_OWNER_ID) throw new NotFoundError('user', request.user);
      ownerId = owner.id;
    }
    const template = await findTemplateByName(this.db, request.template);
    if (!template) throw new NotFoundError('template', request.template);

    // The owner's row is locked while counting and inserting, so parallel creates (on any replica)
    // are counted one after another and cannot exceed the limit together. A running session from
    // the template's warm pool is claimed when there is one (it counts toward the limit from then on);
    // otherwise a new one is inserted for the scheduler.
    const spec = warmSpec(template);
    const session = await this.db.transaction().execute(async (trx) => {
      const owner = await lockUserForSessions(trx, ownerId);
      if (!owner) throw new NotFoundError('user', request.user ?? caller.username);
      const limit = owner.max_sessions ?? this.limits.userMaxSessions;
      const holding = await sessionsInStates(trx, ownerId, QUOTA_STATES);
      if (holding.length >= limit) throw new SessionLimitError(owner.username, limit, holding);
      const region = request.region ?? null;
      const claimed = await claimWarmSession(trx, { templateId: template.id, spec, userId: ownerId, region });
      const created =
        claimed ??
        (await insertSession(trx, {
          user_id: ownerId,
          template_id: template.id,
          template_name: template.name,
          region,
          state_reason: waitingReason(template.platform === 'any' ? null : template.platform, region),
        }));
      await recordAudit(trx, {
        actorUserId: caller.userId,
        actor: caller.username,
        action: 'session.create',
        targetType: 'session',
        targetId: created.id,
        // `warm`: handed over from the pool, already running (issue 16); its container was started
        // for nobody and has had no viewer, share or file transfer before this.
        details: {
          template: template.name,
          owner: request.user ?? caller.username,
          ...(claimed ? { warm: true } : {}),
        },
        ip,
      });
      return { ...created, claimed: claimed !== undefined };
    });
    if (!session.claimed) {
      await this.scheduler.place(session.id);
      return this.view(session.id);
    }
    this.logger.info({ sessionId: session.id, template: template.name }, 'session claimed from the warm pool');
    const view = await this.view(session.id);
    // The replacement starts a little behind the claim, off the path to the user's first frame.
    this.warmPools?.kick(CLAIM_REFILL_DELAY_MS);
    return view;
  }

  async get(caller: TokenClaims, id: string): Promise<SessionView> {
    const view = await this.findView(id);
    if (!view || (caller.role !== 'admin' && view.user_id !== caller.userId)) {
      // Another user's session is reported as missing: its existence is not ours to reveal.
      throw new NotFoundError('session', id);
    }
    return view;
  }

  async list(caller: TokenClaims, filter: { state?: SessionStateName; user?: string }): Promise<SessionView[]> {
    let query = sessionViews(this.db).orderBy('s.created_at', 'desc');
    if (caller.role !== 'admin') query = query.where('s.user_id', '=', caller.userId);
    else if (filter.user) query = query.where('u.username', '=', filter.user);
    query = filter.state ? query.where('s.state', '=', filter.state) : query.where('s.state', '!=', 'deleted');
    return query.execute();
  }

  async request(caller: TokenClaims, id: string, requested: RequestableState, ip: string | null): Promise<SessionView> {
    const current = await this.get(caller, id);
    const session = (await findSession(this.db, id))!;
    const plan = planRequest(session.state, requested, session.agent_id !== null);
    if (!plan.ok) {
      const allowed =
        plan.allowed.length > 0 ? plan.allowed.join(', ') : 'none; delete it with DELETE /api/v1/sessions/{id}';
      throw new ConflictError(
        `Session is ${session.state}; it cannot be moved to ${requested}. Allowed from ${session.state}: ${allowed}`,
        'invalid_transition',
      );
    }
    if (plan.next === session.state) return current;

    let { next, command } = plan;
    const agentUuid = session.agent_id;
    const changed = await this.db.transaction().execute(async (trx) => {
      if (command === 'stop_session' && agentUuid) {
        // A stop that overtakes a start the agent never received needs no agent at all.
        const cancelled = await cancelUndeliveredCommands(trx, id, 'stopped before delivery');
        if (cancelled.some((c) => c.command_type === 'start_session')) {
          next = 'stopped';
          command = undefined;
        }
      }
      const updated = await updateSessionState(trx, id, session.state, {
        state: next,
        state_reason: next === 'stopped' ? 'stopped by user' : plan.reason,
        ...(next === 'stopped' ? { progress: null } : {}),
      });
      if (updated && command && agentUuid) {
        await this.dispatcher.enqueueIn(trx, { agentUuid, sessionId: id, type: command, data: {} });
      }
      if (updated) {
        await recordAudit(trx, {
          actorUserId: caller.userId,
          actor: caller.username,
          action: REQUEST_ACTIONS[requested],
          targetType: 'session',
          targetId: id,
          details: { from: session.state, to: next },
          ip,
        });
      }
      return updated;
    });
    if (!changed) {
      throw new ConflictError(
        `Session ${id} changed state while handling the request; read it again and retry`,
        'state_changed',
      );
    }
    if (next === 'stopped') await this.scheduler.placePending();
    return this.view(id);
  }

  async delete(caller: TokenClaims, id: string, ip: string | null): Promise<SessionView> {
    await this.get(caller, id);
    for (;;) {
      const session = (await findSession(this.db, id))!;
      if (session.state === 'deleted') return this.view(id);
      const done = await this.db.transaction().execute(async (trx) => {
        if (!(await markSessionDeleted(trx, this.dispatcher, session, 'deleted by user'))) return false;
        await recordAudit(trx, {
          actorUserId: caller.userId,
          actor: caller.username,
          action: 'session.delete',
          targetType: 'session',
          targetId: id,
          details: { from: session.state },
          ip,
        });
        return true;
      });
      if (done) {
        await this.scheduler.placePending();
        return this.view(id);
      }
    }
  }

  /** A `session_status` from the agent that holds the session. */
  async applyAgentReport(agentUuid: string, report: SessionStatus): Promise<ReportOutcome> {
    const session = await findSession(this.db, report.session_id);
    if (!session || session.agent_id !== agentUuid) {
      return {
        ok: false,
        code: 'unknown_session',
        message: `session ${report.session_id} is not assigned to this agent`,
      };
    }
    const log = this.logger.child({ sessionId: session.id, agentUuid });
    if (session.state === 'deleted') {
      if (report.state !== 'deleted') {
        // Deleted while the agent was away: tell it to remove what it still runs.
        await this.dispatcher.enqueue({ agentUuid, sessionId: session.id, type: 'delete_session', data: {} });
      }
      return { ok: true };
    }
    if (report.state === session.state) {
      if (report.progress) await updateSessionProgress(this.db, session.id, session.state, report.progress);
      return { ok: true };
    }
    if (!canTransition(session.state, report.state)) {
      log.warn({ from: session.state, reported: report.state }, 'agent reported an invalid session transition');
      return {
        ok: false,
        code: 'invalid_payload',
        message: `session ${session.id} is ${session.state}; ${report.state} is not reachable from it (allowed: ${TRANSITIONS[session.state].join(', ') || 'none'})`,
      };
    }
    const change: StateChange = {
      state: report.state,
      state_reason: report.reason === undefined ? keptReason(session) : clipReason(report.reason),
      progress: report.progress ?? (report.state === 'starting' ? undefined : null),
    };
    const updated = await updateSessionState(this.db, session.id, session.state, change);
    if (!updated) return this.applyAgentReport(agentUuid, report); // raced another change; re-read
    log.info({ from: session.state, to: report.state, reason: report.reason }, 'session state changed');
    // Leaving the slot-holding states frees a place on the agent for a waiting session.
    if (!holdsSlot(report.state)) await this.scheduler.placePending();
    return { ok: true };
  }

  /** A command the agent reports as failed fails its session, with the agent's words as reason. */
  async applyCommandFailure(command: AgentCommand, error: string): Promise<void> {
    if (
      !command.session_id ||
      ['delete_session', 'open_tunnel', 'close_tunnel', 'open_file_stream'].includes(command.command_type)
    )
      return;
    const session = await findSession(this.db, command.session_id);
    if (!session || !canTransition(session.state, 'failed')) return;
    await updateSessionState(this.db, session.id, session.state, {
      state: 'failed',
      state_reason: clipReason(`${command.command_type} failed: ${error}`),
    });
    await this.scheduler.placePending();
  }

  /** Sessions that waited too long become failed; whatever an agent started for them is stopped. */
  async failTimedOut(timeoutMs: number): Promise<number> {
    const failed = await failTimedOutSessions(this.db, timeoutMs);
    for (const session of failed) {
      this.logger.warn({ sessionId: session.id, reason: session.state_reason }, 'session start timed out');
      if (!session.agent_id) continue;
      const cancelled = await cancelUndeliveredCommands(this.db, session.id, 'session start timed out');
      if (!cancelled.some((c) => c.command_type === 'start_session')) {
        await this.dispatcher.enqueue({
          agentUuid: session.agent_id,
          sessionId: session.id,
          type: 'stop_session',
          data: {},
        });
      }
    }
    return failed.length;
  }

  /**
   * A policy (idle timeout, maximum lifetime) moves a session the way a user's request would, by
   * the same plan, guarded on the state it was read in: with every replica running the policy, one
   * UPDATE wins, and only that replica enqueues the command and writes the audit entry. Returns
   * whether this call made the change.
   */
  async applyPolicy(session: Session, requested: RequestableState, reason: string, action: string): Promise<boolean> {
    const plan = planRequest(session.state, requested, session.agent_id !== null);
    if (!plan.ok || plan.next === session.state) return false;
    const { next, command } = plan;
    const agentUuid = session.agent_id;
    const changed = await this.db.transaction().execute(async (trx) => {
      const updated = await updateSessionState(trx, session.id, session.state, {
        state: next,
        state_reason: clipReason(reason),
        ...(next === 'stopped' ? { progress: null } : {}),
      });
      if (!updated) return false;
      if (command && agentUuid)
        await this.dispatcher.enqueueIn(trx, { agentUuid, sessionId: session.id, type: command, data: {} });
      await recordAudit(trx, {
        actorUserId: null,
        actor: 'system',
        action,
        targetType: 'session',
        targetId: session.id,
        details: { from: session.state, to: next, reason, owner_user_id: session.user_id },
      });
      return true;
    });
    if (changed)
      this.logger.info({ sessionId: session.id, from: session.state, to: next, reason }, 'session policy applied');
    if (changed && next === 'stopped') await this.scheduler.placePending();
    return changed;
  }

  /** Marks a session failed because its agent no longer has it (reconciliation). */
  async failVanished(session: Session, reason: string): Promise<void> {
    if (!canTransition(session.state, 'failed')) return;
    await updateSessionState(this.db, session.id, session.state, { state: 'failed', state_reason: reason });
  }

  private findView(id: string) {
    if (!isUuid(id)) return Promise.resolve(undefined);
    return sessionViews(this.db).where('s.id', '=', id).executeTakeFirst();
  }

  private async view(id: string): Promise<SessionView> {
    return (await this.findView(id))!;
  }
}

/**
 * The reason a policy gave for hibernating or stopping ("idle for 30m") stays the reason once the
 * agent reports the state reached without one of its own; a user's plain request reasons do not.
 */
const REQUEST_REASONS = new Set(['hibernate requested', 'stop requested']);
function keptReason(session: Session): string | null {
  const inFlight = session.state === 'hibernating' || session.state === 'stopping';
  return inFlight && session.state_reason && !REQUEST_REASONS.has(session.state_reason) ? session.state_reason : null;
}
