import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Kysely } from 'kysely';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CloseCode,
  HARD_MAX_FRAME_BYTES,
  checkCommandPayload,
  type AgentMessage,
  type CommandType,
} from '@streamspace/protocol';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.js';
import type { Database, Unlisten } from '../db/database.js';
import { markAgentDisconnected } from '../db/queries/agents.js';
import { claimCommandsForDelivery, completeCommand } from '../db/queries/commands.js';
import { COMMANDS_CHANNEL } from '../dispatcher/command-dispatcher.js';
import type { Metrics } from '../metrics/metrics.js';
import { insecureDialHost } from './insecure-dial.js';
import { AgentConnection } from './agent-connection.js';
import { readAgentAuth, upgradeAllowed, type AgentAuth } from './agent-identity.js';
import { REVOKED_CHANNEL, revokedAmong } from '../db/queries/agent-identity.js';
import { HeartbeatBuffer } from './heartbeat-buffer.js';
import type { AgentMessageHandler } from './agent-message-handler.js';
import type { ClientAddress } from '../api/client-address.js';

/** NOTIFY channel announcing `{agentUuid, connectionId}` of a fresh registration, so a replica still
 * holding an older connection for that agent closes it. */
export const TAKEOVER_CHANNEL = 'streamspace_agent_takeover';

export const AGENT_WS_PATHS = ['/agent/ws', '/api/v1/agents/hub'];
const REGISTER_TIMEOUT_MS = 10_000;

export interface HubOptions {
  database: Database;
  /** AGENT_TOKEN: the join token that enrolls new agent ids. */
  agentToken: string;
  replicaId: string;
  logger: Logger;
  metrics: Metrics;
  /** Adds what must reach the agent but never the database (a tunnel's token) as a command is sent. */
  completePayload?: (type: string, payload: Record<string, unknown>, agentUuid: string) => Record<string, unknown>;
  /** The connecting agent's address (TRUST_PROXY applied): enrollment and last address, audit log. */
  clientAddress?: ClientAddress;
}

/**
 * Accepts agents' control connections (they always dial out to us), keeps the ones this replica
 * holds, and delivers their queued commands. Message meaning lives in AgentMessageHandler.
 */
export class AgentHub {
  readonly heartbeats = new HeartbeatBuffer();
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: HARD_MAX_FRAME_BYTES });
  readonly #byAgent = new Map<string, AgentConnection>();
  readonly #all = new Set<AgentConnection>();
  readonly #delivering = new Map<string, Promise<void>>();
  readonly #db: Kysely<Schema>;
  #handler: AgentMessageHandler | undefined;
  #disconnectListeners: Array<(agentUuid: string) => void> = [];
  #unlisten: Unlisten[] = [];

  constructor(private readonly options: HubOptions) {
    this.#db = options.database.db;
  }

  setHandler(handler: AgentMessageHandler) {
    this.#handler = handler;
  }

  async start(): Promise<void> {
    const { database } = this.options;
    this.#unlisten.push(
      await database.listen(
        COMMANDS_CHANNEL,
        (agentUuid) => void this.deliver(agentUuid, false),
        () => this.#redeliverAll(),
      ),
      await database.listen(TAKEOVER_CHANNEL, (payload) => void this.#onTakeover(payload)),
      await database.listen(
        REVOKED_CHANNEL,
        (agentUuid) => this.#closeRevoked(agentUuid),
        () => void this.#closeRevokedMissed(),
      ),
    );
  }

  /** Revoked by an admin (on any replica): the agent's connection here, if any, ends now. */
  #closeRevoked(agentUuid: string) {
    const held = this.#byAgent.get(agentUuid);
    if (!held) return;
    this.#byAgent.delete(agentUuid);
    held.logger.warn('agent revoked by an admin; disconnecting it');
    held.close(CloseCode.Revoked, `agent ${held.agentId ?? agentUuid} was revoked by an admin`);
  }

  /** A revocation announced while our LISTEN connection was down: ask the database. */
  async #closeRevokedMissed() {
    try {
      for (const uuid of await revokedAmong(this.#db, [...this.#byAgent.keys()])) this.#closeRevoked(uuid);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not check held agents for revocations');
    }
  }

  /** Claims an upgrade on the agent paths; returns false for paths that are not ours. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (!AGENT_WS_PATHS.includes(path)) return false;
    void this.#authenticate(request, socket, head);
    return true;
  }

  /** Lets through a connection holding the join token or an enrolled agent's credential; which
   * agent id it may register as is decided at `register` (authorizeRegistration). */
  async #authenticate(request: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => undefined);
    const auth = readAgentAuth(request, this.options.agentToken);
    let problem: string | undefined;
    try {
      problem = await upgradeAllowed(this.#db, auth);
    } catch (error) {
      this.options.logger.error({ err: error }, 'agent credential lookup failed');
      refuseUpgrade(socket, 503, 'agent credential could not be checked (database unavailable); retry');
      return;
    }
    if (problem) {
      this.options.logger.warn({ remote: request.socket.remoteAddress }, `agent connection refused: ${problem}`);
      refuseUpgrade(socket, 401, problem);
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request, auth));
  }

  #accept(ws: WebSocket, request: IncomingMessage, auth: AgentAuth) {
    const remote = this.options.clientAddress?.(request) ?? request.socket.remoteAddress ?? null;
    const logger = this.options.logger.child({ component: 'hub', remote });
    const connection = new AgentConnection(randomUUID(), ws, logger, auth, remote, (c, m) => this.#dispatch(c, m));
    connection.insecureHost = insecureDialHost(request);
    this.#all.add(connection);
    this.options.metrics.wsConnections.inc({ kind: 'agent' });
    const registerTimer = setTimeout(() => {
      if (connection.state === 'awaiting_register') {
        connection.close(CloseCode.RegisterTimeout, `no register within ${REGISTER_TIMEOUT_MS / 1000}s`);
      }
    }, REGISTER_TIMEOUT_MS);
    ws.on('close', (code, reason) => {
      clearTimeout(registerTimer);
      this.#all.delete(connection);
      this.options.metrics.wsConnections.dec({ kind: 'agent' });
      connection.state = 'closed';
      void this.#onClosed(connection, code, reason.toString());
    });
    ws.on('error', (error) => logger.warn({ err: error }, 'agent socket error'));
  }

  #dispatch(connection: AgentConnection, message: AgentMessage): Promise<void> {
    if (!this.#handler) throw new Error('hub started without a message handler');
    return this.#handler.handle(connection, message);
  }

  /** Called by the handler once `register` is stored: this connection now speaks for the agent. */
  adopt(connection: AgentConnection, agentUuid: string, agentId: string) {
    const previous = this.#byAgent.get(agentUuid);
    connection.state = 'registered';
    connection.agentUuid = agentUuid;
    connection.agentId = agentId;
    this.#byAgent.set(agentUuid, connection);
    if (previous && previous !== connection) {
      previous.close(CloseCode.Replaced, `replaced by a newer connection for agent ${agentId}`);
    }
  }

  async announceTakeover(agentUuid: string, connectionId: string) {
    await this.#db
      .selectNoFrom((eb) =>
        eb
          .fn<string>('pg_notify', [eb.val(TAKEOVER_CHANNEL), eb.val(JSON.stringify({ agentUuid, connectionId }))])
          .as('n'),
      )
      .execute();
  }

  /**
   * Another registration for an agent we hold. Notifications arrive late (an older registration's
   * can land after a newer one was adopted here), so the row decides: close ours only when the
   * database says another connection owns the agent now.
   */
  async #onTakeover(payload: string) {
    try {
      const { agentUuid, connectionId } = JSON.parse(payload) as { agentUuid: string; connectionId: string };
      const held = this.#byAgent.get(agentUuid);
      if (!held || held.id === connectionId) return;
      const row = await this.#db
        .selectFrom('agents')
        .select('websocket_conn_id')
        .where('id', '=', agentUuid)
        .executeTakeFirst();
      if (row && row.websocket_conn_id !== held.id && this.#byAgent.get(agentUuid) === held) {
        this.#byAgent.delete(agentUuid);
        held.close(CloseCode.Replaced, `replaced by a newer connection for agent ${held.agentId ?? agentUuid}`);
      }
    } catch (error) {
      this.options.logger.warn({ err: error, payload }, 'could not handle a takeover notification');
    }
  }

  /** Called when this replica loses an agent's control connection (VNC streams through it end). */
  onAgentDisconnected(listener: (agentUuid: string) => void) {
    this.#disconnectListeners.push(listener);
  }

  async #onClosed(connection: AgentConnection, code: number, reason: string) {
    const { agentUuid } = connection;
    if (!agentUuid) return;
    if (this.#byAgent.get(agentUuid) === connection) {
      this.#byAgent.delete(agentUuid);
      for (const listener of this.#disconnectListeners) listener(agentUuid);
    }
    this.heartbeats.forget(agentUuid, connection.id);
    const log = this.options.logger.child({ agentId: connection.agentId });
    log.info({ code, reason }, 'Agent disconnected');
    try {
      await markAgentDisconnected(
        this.#db,
        agentUuid,
        connection.id,
        `disconnected (${code}${reason ? `: ${reason}` : ''})`,
      );
    } catch (error) {
      log.warn({ err: error }, 'could not record agent disconnect; the heartbeat timeout will mark it offline');
    }
  }

  /**
   * Sends the agent's queued commands if this replica holds its connection. Per agent, deliveries
   * run one after another so commands keep their order; `includeUnacked` re-sends what was sent
   * but never acknowledged (after a reconnect).
   */
  deliver(agentUuid: string, includeUnacked: boolean): Promise<void> {
    const previous = this.#delivering.get(agentUuid) ?? Promise.resolve();
    const next = previous.then(async () => {
      const connection = this.#byAgent.get(agentUuid);
      if (!connection || connection.state !== 'registered') return;
      try {
        const commands = await claimCommandsForDelivery(this.#db, agentUuid, includeUnacked);
        for (const command of commands) {
          const payload = this.#payloadFor(command.command_type, command.command_data ?? {}, agentUuid);
          // Checked on this end too: a payload the agent would refuse fails here, naming the field.
          const checked = checkCommandPayload(command.command_type as CommandType, payload);
          if (!checked.ok) {
            connection.logger.error({ commandId: command.id, problem: checked.problem }, 'command not sent');
            await completeCommand(this.#db, command.id, agentUuid, { ok: false, result: { error: checked.problem } });
            continue;
          }
          connection.send({
            type: 'command',
            payload: {
              command_id: command.id,
              type: command.command_type as never,
              session_id: command.session_id ?? '',
              payload,
            },
          });
          connection.logger.info(
            { commandId: command.id, type: command.command_type, sessionId: command.session_id },
            'command sent',
          );
        }
      } catch (error) {
        this.options.logger.warn({ err: error, agentUuid }, 'command delivery failed; will retry');
      }
    });
    const tracked = next.finally(() => {
      if (this.#delivering.get(agentUuid) === tracked) this.#delivering.delete(agentUuid);
    });
    this.#delivering.set(agentUuid, tracked);
    return tracked;
  }

  #payloadFor(type: string, payload: Record<string, unknown>, agentUuid: string) {
    return this.options.completePayload ? this.options.completePayload(type, payload, agentUuid) : payload;
  }

  /** After a lost LISTEN connection, or on a periodic sweep: deliver anything waiting for our agents. */
  #redeliverAll() {
    for (const agentUuid of this.#byAgent.keys()) void this.deliver(agentUuid, false);
  }

  /** Catches commands whose wake-up notification was lost (sent while the database blinked):
   * one query for all agents with pending commands, deliveries only for those held here. */
  async sweep(): Promise<void> {
    if (this.#byAgent.size === 0) return;
    const rows = await this.#db
      .selectFrom('agent_commands')
      .select('agent_id')
      .distinct()
      .where('status', '=', 'pending')
      .where('created_at', '<', new Date(Date.now() - 1000))
      .execute();
    for (const { agent_id } of rows) if (agent_id && this.#byAgent.has(agent_id)) void this.deliver(agent_id, false);
  }

  get connectedAgents(): number {
    return this.#byAgent.size;
  }

  holds(agentUuid: string): boolean {
    return this.#byAgent.has(agentUuid);
  }

  async stop(): Promise<void> {
    for (const unlisten of this.#unlisten) await unlisten().catch(() => undefined);
    for (const connection of this.#all) connection.close(CloseCode.GoingAway, 'control plane shutting down');
    await Promise.allSettled([...this.#delivering.values()]);
    this.#wss.close();
  }
}

export function refuseUpgrade(socket: Duplex, status: number, message: string) {
  const body = JSON.stringify({ error: status === 401 ? 'unauthorized' : 'refused', message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Refused'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
