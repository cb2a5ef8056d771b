import WebSocket from 'ws';
import type {
  Capacity,
  ControlPlaneMessage,
  ControlPlaneMessageType,
  Register,
  ReportedSession,
  Usage,
} from '@streamspace/protocol';
import { JOIN_TOKEN_HEADER, PROTOCOL_VERSION } from '@streamspace/protocol';
import { createHash } from 'node:crypto';

type MessageOf<K extends ControlPlaneMessageType> = Extract<ControlPlaneMessage, { type: K }>;

export const UNLIMITED: Capacity = { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 };

/** The credential a simulated agent holds for its id: stable, so the same id reconnects as itself;
 * another process (a test's impersonator) would not know it. */
export function simulatorCredential(agentId: string): string {
  return `ssa_sim_${createHash('sha256').update(`simulator\0${agentId}`).digest('base64url')}`;
}

/** What a connection presents: the join token (AGENT_TOKEN) and/or the agent's own credential. */
export interface SimulatorAuth {
  joinToken?: string | undefined;
  credential?: string | undefined;
}

/**
 * Speaks the real agent protocol over a real WebSocket, under the test's control: it sends what it
 * is told and queues what it receives, so a test can await each message the control plane sends.
 */
export class AgentSimulator {
  readonly received: ControlPlaneMessage[] = [];
  #waiters: Array<{ match: (m: ControlPlaneMessage) => boolean; resolve: (m: ControlPlaneMessage) => void }> = [];
  #closed: Promise<{ code: number; reason: string }>;
  #heartbeatTimer: NodeJS.Timeout | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { v: number; type: string; payload: unknown };
      const message = { type: frame.type, payload: frame.payload } as ControlPlaneMessage;
      const waiter = this.#waiters.find((w) => w.match(message));
      if (waiter) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      } else {
        this.received.push(message);
      }
    });
    this.#closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** `auth` as a string is the join token sent the way agents before agent identity sent it
   * (`Authorization: Bearer <AGENT_TOKEN>`, no credential of their own). `extraHeaders` as a proxy
   * in front of the control plane would add them (X-Forwarded-Proto). */
  static connect(
    url: string,
    auth: string | SimulatorAuth | undefined,
    extraHeaders: Record<string, string> = {},
  ): Promise<AgentSimulator> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (typeof auth === 'string') headers.authorization = `Bearer ${auth}`;
    else {
      if (auth?.credential) headers.authorization = `Bearer ${auth.credential}`;
      if (auth?.joinToken) headers[JOIN_TOKEN_HEADER] = auth.joinToken;
    }
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      const simulator = new AgentSimulator(socket);
      socket.once('open', () => resolve(simulator));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          reject(
            Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body }),
          ),
        );
      });
      socket.once('error', reject);
    });
  }

  /** Connects as the agent (its own credential, plus `joinToken` to enroll it on first use),
   * registers and waits for `registered`. */
  static async register(
    url: string,
    joinToken: string | undefined,
    register: Partial<Register> & { agent_id: string },
    credential: string = simulatorCredential(register.agent_id),
  ) {
    const agent = await AgentSimulator.connect(url, { joinToken, credential });
    agent.send('register', {
      platform: 'docker',
      version: 'simulator',
      capacity: UNLIMITED,
      sessions: [],
      ...register,
    });
    const registered = await agent.next('registered');
    agent.startHeartbeats(registered.payload.heartbeat_interval_ms);
    return { agent, registered: registered.payload };
  }

  send(type: string, payload: unknown): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ v: PROTOCOL_VERSION, type, payload }));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.socket.send(data, { binary });
  }

  /** Heartbeats at the interval the control plane asked for, until stopped or closed. */
  startHeartbeats(intervalMs: number, used?: Usage, capacity?: Capacity): void {
    this.stopHeartbeats();
    this.#heartbeatTimer = setInterval(() => this.heartbeat(used, capacity), intervalMs);
    this.socket.once('close', () => this.stopHeartbeats());
  }

  stopHeartbeats(): void {
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  heartbeat(used: Usage = { sessions: 0, cpu: 0, memory_gb: 0 }, capacity: Capacity = UNLIMITED) {
    this.send('heartbeat', { capacity, used });
  }

  reportStatus(
    session_id: string,
    state: ReportedSession['state'],
    extra: { reason?: string; progress?: unknown } = {},
  ) {
    this.send('session_status', { session_id, state, ...extra });
  }

  /** The next message of `type` (and matching `where`), already received or still to come. */
  next<K extends ControlPlaneMessageType>(
    type: K,
    where: (m: MessageOf<K>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<MessageOf<K>> {
    const match = (m: ControlPlaneMessage) => m.type === type && where(m as MessageOf<K>);
    const index = this.received.findIndex(match);
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0] as MessageOf<K>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `no ${type} message within ${timeoutMs} ms; received: ${JSON.stringify(this.received).slice(0, 500)}`,
          ),
        );
      }, timeoutMs);
      const done = (m: ControlPlaneMessage) => {
        clearTimeout(timer);
        resolve(m as MessageOf<K>);
      };
      this.#waiters.push({ match, resolve: done });
    });
  }

  closed(): Promise<{ code: number; reason: string }> {
    return this.#closed;
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000, 'simulator done');
    await this.#closed;
  }

  /** Drops the TCP connection without a close frame, as a killed process would. */
  async kill(): Promise<void> {
    this.stopHeartbeats();
    this.socket.terminate();
    await this.#closed;
  }
}
