import WebSocket from 'ws';
import {
  clipReason,
  CloseCode,
  HARD_MAX_FRAME_BYTES,
  JOIN_TOKEN_HEADER,
  decodeControlPlaneFrame,
  encodeFrame,
  type AgentMessage,
  type Capacity,
  type Command,
  type Registered,
  type Usage,
} from '@streamspace/protocol';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import { checkHeartbeat } from '../config.js';
import type { SessionDriver } from '../drivers/session-driver.js';
import type { CommandRunner } from '../commands/command-runner.js';
import { Backoff } from './backoff.js';

export type ConnectionState = 'connecting' | 'registered' | 'backoff' | 'stopped';

/** Results and reports made while disconnected wait here and go out after the next register. */
const MAX_OUTBOX = 1000;

/**
 * The agent's one control WebSocket: dials out, registers with the sessions it actually runs,
 * heartbeats, hands commands to the runner, and reconnects with backoff and jitter, forever.
 */
export class ControlConnection {
  state: ConnectionState = 'connecting';
  #socket: WebSocket | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  readonly #backoff = new Backoff();
  readonly #outbox: AgentMessage[] = [];
  #registeredOnce: ((registered: Registered) => void) | undefined;

  constructor(
    private readonly config: AgentConfig,
    /** This agent's own credential (AGENT_CREDENTIAL_FILE): who it is, on every connect. */
    private readonly credential: string,
    private readonly driver: SessionDriver,
    private readonly runner: CommandRunner,
    private readonly logger: Logger,
    private readonly version: string,
    /** A misconfiguration no retry can fix (heartbeat interval too long): stop the agent. */
    private readonly onFatal: (problem: string) => void,
  ) {
    driver.onUnexpectedExit((sessionId, reason) => {
      this.logger.warn({ sessionId, reason }, `Session ${sessionId} ended unexpectedly`);
      // Clipped here too: a control plane from before clipReason counts a long reason as a strike.
      this.send({
        type: 'session_status',
        payload: { session_id: sessionId, state: 'failed', reason: clipReason(reason) },
      });
    });
  }

  /** Connects and resolves on the first successful registration. */
  start(): Promise<Registered> {
    const first = new Promise<Registered>((resolve) => (this.#registeredOnce = resolve));
    this.#connect();
    return first;
  }

  #connect() {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const socket = new WebSocket(this.config.controlPlaneUrl, {
      headers: {
        authorization: `Bearer ${this.credential}`,
        // The join token enrolls an id not enrolled yet; for an enrolled id it changes nothing.
        ...(this.config.agentToken ? { [JOIN_TOKEN_HEADER]: this.config.agentToken } : {}),
      },
      maxPayload: HARD_MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
    });
    this.#socket = socket;
    socket.on('open', () => void this.#register(socket));
    socket.on('message', (data, isBinary) => {
      if (!isBinary) void this.#onFrame(data as Buffer);
    });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (d: Buffer) => (body += d.toString()));
      response.on('end', () => {
        this.logger.error(
          `Control plane at ${this.config.controlPlaneUrl} refused the agent: ${response.statusCode} ${body}`,
        );
        socket.terminate();
      });
    });
    socket.on('error', (error) => {
      this.logger.warn(`Failed to connect to Control Plane at ${this.config.controlPlaneUrl}: ${error.message}`);
    });
    socket.on('close', (code, reason) => this.#onClose(socket, code, reason.toString()));
  }

  async #register(socket: WebSocket) {
    this.logger.info('WebSocket connection established');
    this.logger.info({ pool: this.config.pool }, 'Registering agent with Control Plane');
    let sessions: Array<{ session_id: string; state: 'running' | 'stopped' }>;
    try {
      sessions = (await this.driver.list()).map((s) => ({ session_id: s.sessionId, state: s.state }));
    } catch (error) {
      // Registering with an empty list would make the control plane fail every session; wait instead.
      this.logger.error({ err: error }, 'cannot list sessions from the platform; retrying the connection');
      socket.close(1011, 'platform unavailable');
      return;
    }
    this.#sendNow(socket, {
      type: 'register',
      payload: {
        agent_id: this.config.agentId,
        platform: this.config.platform,
        ...(this.config.region ? { region: this.config.region } : {}),
        ...(this.config.pool ? { pool: this.config.pool } : {}),
        version: this.version,
        capacity: this.#capacity(),
        sessions,
      },
    });
  }

  async #onFrame(data: Buffer) {
    const decoded = decodeControlPlaneFrame(data);
    if (!decoded.ok) {
      this.logger.warn({ code: decoded.error.code, detail: decoded.error.message }, 'invalid frame from control plane');
      this.#answerUndecodableCommand(data, decoded.error.message);
      return;
    }
    const message = decoded.message;
    switch (message.type) {
      case 'registered':
        return this.#onRegistered(message.payload);
      case 'command':
        return this.#onCommand(message.payload);
      case 'error':
        this.logger.warn({ code: message.payload.code }, `Control plane reported: ${message.payload.message}`);
        return;
    }
  }

  #onRegistered(registered: Registered) {
    const problem = checkHeartbeat(this.config.heartbeatIntervalMs, registered.heartbeat_timeout_ms);
    if (problem) {
      this.logger.fatal(problem);
      this.onFatal(problem);
      return;
    }
    this.state = 'registered';
    this.#backoff.reset();
    this.logger.info({ replica: registered.replica_id }, `Agent registered successfully: ${this.config.agentId}`);
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => void this.#sendHeartbeat(), this.config.heartbeatIntervalMs);
    void this.#sendHeartbeat();
    for (const message of this.#outbox.splice(0)) this.send(message);
    this.#registeredOnce?.(registered);
    this.#registeredOnce = undefined;
  }

  #onCommand(command: Command) {
    void this.runner.handle(command, {
      ack: (commandId) => this.send({ type: 'command_ack', payload: { command_id: commandId } }),
      result: (result) => this.send({ type: 'command_result', payload: result }),
      status: (status) =>
        this.send({
          type: 'session_status',
          payload: status.reason === undefined ? status : { ...status, reason: clipReason(status.reason) },
        }),
    });
  }

  /** A command frame that failed validation still gets a failed result when its id can be read. */
  #answerUndecodableCommand(data: Buffer, problem: string) {
    try {
      const frame = JSON.parse(data.toString()) as { type?: unknown; payload?: { command_id?: unknown } };
      const id = frame.payload?.command_id;
      if (frame.type === 'command' && typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id)) {
        this.send({
          type: 'command_result',
          payload: { command_id: id, ok: false, error: `command rejected by the agent: ${problem}` },
        });
      }
    } catch {
      // not JSON: nothing to answer
    }
  }

  async #sendHeartbeat() {
    let used: Usage = { sessions: 0, cpu: 0, memory_gb: 0 };
    try {
      const running = (await this.driver.list()).filter((s) => s.state === 'running');
      used = {
        sessions: running.length,
        cpu: running.reduce((sum, s) => sum + s.cpu, 0),
        memory_gb: running.reduce((sum, s) => sum + s.memoryGb, 0),
      };
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot read session usage from the platform');
    }
    const capacity = this.#capacity();
    this.logger.debug(
      `Sending heartbeat (capacity: ${capacity.max_cpu || '∞'} cores, ${capacity.max_memory_gb || '∞'}GB RAM, ${used.sessions}/${capacity.max_sessions || '∞'} sessions)`,
    );
    this.send({ type: 'heartbeat', payload: { capacity, used } });
  }

  #capacity(): Capacity {
    return {
      max_sessions: this.config.maxSessions,
      max_cpu: this.config.maxCpu,
      max_memory_gb: this.config.maxMemoryGb,
    };
  }

  /** Sends now when registered; otherwise results and reports wait for the next registration. */
  send(message: AgentMessage) {
    const socket = this.#socket;
    if (this.state === 'registered' && socket?.readyState === WebSocket.OPEN) {
      this.#sendNow(socket, message);
    } else if (message.type !== 'heartbeat' && message.type !== 'command_ack') {
      this.#outbox.push(message);
      if (this.#outbox.length > MAX_OUTBOX) this.#outbox.shift();
    }
  }

  #sendNow(socket: WebSocket, message: AgentMessage) {
    socket.send(encodeFrame(message));
  }

  #onClose(socket: WebSocket, code: number, reason: string) {
    if (this.#socket !== socket) return;
    clearInterval(this.#heartbeat);
    if (this.state === 'stopped') return;
    if (code === CloseCode.Revoked || code === CloseCode.InvalidAgentId) {
      // No retry can fix these: an admin revoked this id, or the id is not valid.
      const problem = `Control plane refused agent ${this.config.agentId} for good (${code}): ${reason}`;
      this.logger.fatal(problem);
      this.state = 'stopped';
      this.onFatal(problem);
      return;
    }
    this.state = 'backoff';
    // Replaced by another process with our AGENT_ID: retrying at once would steal it back and forth.
    // Refused identity (another credential enrolled this id): an operator must act; retry slowly.
    const delay = code === CloseCode.Replaced || code === CloseCode.IdentityRefused ? 30_000 : this.#backoff.next();
    this.logger.warn(
      { code, reason },
      `Disconnected from Control Plane; reconnecting in ${(delay / 1000).toFixed(1)}s`,
    );
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retry);
    const socket = this.#socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close(1000, 'agent shutting down');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
      socket.terminate();
    }
  }
}
