import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  CloseCode,
  EXPECTED_ON_AGENT_STATES,
  type AgentMessage,
  type CommandResult,
  type Register,
  type SessionStateName,
} from '@streamspace/protocol';
import type { Schema } from '../db/schema.js';
import { findAgentPool, upsertAgentOnRegister } from '../db/queries/agents.js';
import { completeCommand, markCommandAcked } from '../db/queries/commands.js';
import { findSession, listAgentSessions } from '../db/queries/sessions.js';
import type { SessionService } from '../sessions/session-service.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { CommandDispatcher } from '../dispatcher/command-dispatcher.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AgentConnection } from './agent-connection.js';
import { reconcileAction } from '../sessions/reconcile.js';
import { authorizeRegistration } from './agent-identity.js';
import type { AgentHub } from './agent-hub.js';

export interface HandlerOptions {
  db: Kysely<Schema>;
  hub: AgentHub;
  sessions: SessionService;
  scheduler: Scheduler;
  dispatcher: CommandDispatcher;
  metrics: Metrics;
  logger: Logger;
  replicaId: string;
  heartbeatTimeoutMs: number;
}

/** States in which the agent must still have the session's container or pod (the protocol's state table). */
const EXPECTED_ON_AGENT = new Set<SessionStateName>(EXPECTED_ON_AGENT_STATES);

/** What each valid agent message means for the database and the sessions. */
export class AgentMessageHandler {
  constructor(private readonly o: HandlerOptions) {}

  /** Agents heartbeat at a third of the timeout: two may be lost before the agent is offline. */
  get heartbeatIntervalMs(): number {
    return Math.max(100, Math.floor(this.o.heartbeatTimeoutMs / 3));
  }

  async handle(connection: AgentConnection, message: AgentMessage): Promise<void> {
    if (message.type === 'register') return this.#register(connection, message.payload);
    const agentUuid = connection.agentUuid;
    if (connection.state !== 'registered' || !agentUuid) {
      connection.reject({ code: 'not_registered', message: `send register before ${message.type}` });
      return;
    }
    switch (message.type) {
      case 'heartbeat':
        this.o.hub.heartbeats.record(agentUuid, connection.id, message.payload);
        return;
      case 'command_ack': {
        const acked = await markCommandAcked(this.o.db, message.payload.command_id, agentUuid);
        if (!acked) await this.#unknownCommand(connection, message.payload.command_id, agentUuid);
        return;
      }
      case 'command_result':
        return this.#result(connection, agentUuid, message.payload);
      case 'session_status': {
        const outcome = await this.o.sessions.applyAgentReport(agentUuid, message.payload);
        if (!outcome.ok) connection.sendError({ code: outcome.code, message: outcome.message });
        return;
      }
    }
  }

  async #register(connection: AgentConnection, register: Register) {
    if (connection.state === 'registered') {
      connection.reject({ code: 'already_registered', message: `already registered as ${connection.agentId}` });
      return;
    }
    connection.logger.info({ agentId: register.agent_id }, 'Registering agent');
    const decision = await authorizeRegistration(this.o.db, {
      agentId: register.agent_id,
      platform: register.platform,
      auth: connection.auth,
      address: connection.address,
    });
    if (!decision.ok) {
      // Refused before anything changes: an online agent under this id keeps its connection.
      connection.logger.warn(
        { agentId: register.agent_id, code: decision.code },
        `registration refused: ${decision.reason}`,
      );
      connection.close(decision.code, decision.reason);
      return;
    }
    if (decision.enrolled) connection.logger.info({ agentId: register.agent_id }, 'agent enrolled with the join token');
    const row = await upsertAgentOnRegister(this.o.db, {
      agentUuid: decision.agentUuid,
      address: connection.address,
      platform: register.platform,
      region: register.region ?? null,
      pool: register.pool ?? null,
      capacity: register.capacity,
      version: register.version,
      replicaId: this.o.replicaId,
      connectionId: connection.id,
    });
    if (!row) {
      connection.close(CloseCode.Revoked, `agent ${register.agent_id} was revoked`);
      return;
    }
    connection.logger = connection.logger.child({ agentId: register.agent_id });
    this.o.hub.adopt(connection, row.id, register.agent_id);
    connection.send({
      type: 'registered',
      payload: {
        heartbeat_interval_ms: this.heartbeatIntervalMs,
        heartbeat_timeout_ms: this.o.heartbeatTimeoutMs,
        replica_id: this.o.replicaId,
      },
    });
    connection.logger.info(`Agent registered successfully: ${register.agent_id}`);
    if (connection.insecureHost)
      connection.logger.warn(
        { host: connection.insecureHost },
        `Agent ${register.agent_id} dialled ws://${connection.insecureHost} without TLS: its token and commands cross the network in clear; give it a wss:// CONTROL_PLANE_URL`,
      );
    await this.o.hub.announceTakeover(row.id, connection.id);
    await this.#reconcile(row.id, register);
    connection.logger.info(`Agent reconciled: ${register.agent_id}`);
    await this.o.hub.deliver(row.id, true);
    await this.o.scheduler.placePending();
  }

  /**
   * Compares what the agent says it runs with what the database expects of it (reconcile.ts
   * decides): sessions it no longer has are failed with a reason, sessions deleted or stopped
   * while it was away are removed or stopped on it, finished stops and starts are recorded.
   */
  async #reconcile(agentUuid: string, register: Register) {
    const reported = new Map(register.sessions.map((s) => [s.session_id, s.state]));
    for (const session of await listAgentSessions(this.o.db, agentUuid)) {
      const observed = reported.get(session.id);
      reported.delete(session.id);
      if (observed === undefined) {
        if (EXPECTED_ON_AGENT.has(session.state)) {
          await this.o.sessions.failVanished(
            session,
            `agent ${register.agent_id} no longer has this session's container`,
          );
        }
        continue;
      }
      const action = reconcileAction(session.state, observed === 'running' ? 'running' : 'stopped');
      if (action.kind === 'transition') {
        await this.o.sessions.applyAgentReport(agentUuid, {
          session_id: session.id,
          state: action.to,
          ...(action.reason ? { reason: action.reason } : {}),
        });
      } else if (action.kind === 'command') {
        await this.o.dispatcher.enqueueIn(this.o.db, { agentUuid, sessionId: session.id, type: action.type, data: {} });
      }
    }
    // Reported sessions that are no longer active here (deleted, failed) or unknown altogether.
    for (const [sessionId, observed] of reported) {
      const session = await findSession(this.o.db, sessionId);
      if (session?.agent_id && session.agent_id !== agentUuid && register.pool) {
        // Agents of a pool all see the pool's containers. The database says whose a session is: an
        // agent returning after its pool took its sessions over leaves them to their new owner.
        if ((await findAgentPool(this.o.db, session.agent_id)) === register.pool) continue;
      }
      if (!session || session.agent_id !== agentUuid) {
        this.o.logger.warn(
          { sessionId, agentId: register.agent_id },
          'agent runs a session this control plane does not assign to it; remove its container by hand',
        );
        continue;
      }
      const action = reconcileAction(session.state, observed === 'running' ? 'running' : 'stopped');
      if (action.kind === 'command') {
        await this.o.dispatcher.enqueueIn(this.o.db, { agentUuid, sessionId, type: action.type, data: {} });
      }
    }
  }

  async #result(connection: AgentConnection, agentUuid: string, result: CommandResult) {
    const command = await completeCommand(this.o.db, result.command_id, agentUuid, {
      ok: result.ok,
      result: { ...(result.error !== undefined ? { error: result.error } : {}), ...(result.data ?? {}) },
    });
    if (!command) {
      await this.#unknownCommand(connection, result.command_id, agentUuid, true);
      return;
    }
    const outcome = result.ok ? 'completed' : 'failed';
    this.o.metrics.commands.inc({ type: command.command_type, outcome });
    this.o.metrics.commandLatency.observe(
      { type: command.command_type },
      (Date.now() - command.created_at.getTime()) / 1000,
    );
    connection.logger.info(
      { commandId: command.id, type: command.command_type, outcome, error: result.error },
      'command finished',
    );
    if (!result.ok) await this.o.sessions.applyCommandFailure(command, result.error ?? 'no reason given');
  }

  /** A repeated ack/result for a finished command is normal after a resend; an unknown id is not. */
  async #unknownCommand(connection: AgentConnection, commandId: string, agentUuid: string, isResult = false) {
    const known = await this.o.db
      .selectFrom('agent_commands')
      .select(['status'])
      .where('id', '=', commandId)
      .where('agent_id', '=', agentUuid)
      .executeTakeFirst();
    if (known) return;
    connection.sendError({
      code: 'unknown_command',
      message: `${isResult ? 'command_result' : 'command_ack'} for command ${commandId}, which was never sent to this agent`,
    });
  }
}
