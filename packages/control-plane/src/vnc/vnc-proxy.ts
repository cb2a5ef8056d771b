import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Kysely } from 'kysely';
import WebSocket, { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import { VncClose, type VncCloseName } from '@streamspace/protocol';
import type { Schema } from '../db/schema.js';
import { redeemTicket } from '../db/queries/vnc-tickets.js';
import { findSession } from '../db/queries/sessions.js';
import { findUserById } from '../db/queries/users.js';
import type { CommandDispatcher } from '../dispatcher/command-dispatcher.js';
import { refuseUpgrade, type AgentHub } from '../hub/agent-hub.js';
import type { Metrics } from '../metrics/metrics.js';
import { mayViewSession } from './stream-access.js';
import { splice } from './splice.js';
import { isUuid } from '../ids.js';

export interface VncProxyOptions {
  db: Kysely<Schema>;
  hub: AgentHub;
  dispatcher: CommandDispatcher;
  metrics: Metrics;
  logger: Logger;
  publicUrl: string;
  idleTimeoutMs: number;
  /** How long the agent has to dial the tunnel back after open_tunnel. */
  tunnelTimeoutMs?: number;
}

interface Stream {
  tunnelId: string;
  sessionId: string;
  agentUuid: string;
  viewer: WebSocket;
  tokenHash: Buffer;
  agentSide: WebSocket | undefined;
  lastActivity: number;
  timer: NodeJS.Timeout;
}

const VIEWER_PATH = /^\/vnc\/([^/]+)$/;
const TUNNEL_PATH = /^\/agent\/tunnel\/([0-9a-f-]{36})$/;
/** A socket paused (during set-up, or by backpressure) must read again before closing, or it never
 * sees the peer's answer to our close frame and lingers for ws's 30 s close timeout. */
function closeSocket(socket: WebSocket, code: number, reason: string) {
  if (socket.readyState !== WebSocket.OPEN) return;
  socket.resume();
  socket.close(code, reason);
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();

/**
 * The VNC path's control-plane end: a viewer's WebSocket at /vnc/{session_id}?ticket=… is joined,
 * byte for byte, to a data WebSocket the session's agent dials back to /agent/tunnel/{tunnel_id}
 * after an open_tunnel command. One tunnel per viewer: no multiplexing, no head-of-line blocking.
 */
export class VncProxy {
  readonly #wss = new WebSocketServer({
    noServer: true,
    // noVNC asks for the "binary" subprotocol; a viewer asking for none gets none.
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
    maxPayload: 16 * 1024 * 1024,
  });
  readonly #streams = new Map<string, Stream>();
  readonly #allowedOrigins: Set<string>;
  readonly #sweeper: NodeJS.Timeout;

  constructor(private readonly o: VncProxyOptions) {
    this.#allowedOrigins = new Set([new URL(o.publicUrl).origin]);
    o.hub.onAgentDisconnected((agentUuid) => {
      for (const stream of this.#streams.values()) {
        if (stream.agentUuid === agentUuid) this.#end(stream, 'AgentOffline');
      }
    });
    // Idle streams are found by a sweep, not a timer reset on every frame of a busy stream.
    this.#sweeper = setInterval(() => this.#closeIdle(), Math.min(30_000, Math.max(100, o.idleTimeoutMs / 4)));
    this.#sweeper.unref();
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  /** Claims upgrades on /vnc/… and /agent/tunnel/…; false for other paths. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? '/', 'http://x');
    const viewer = VIEWER_PATH.exec(url.pathname);
    if (viewer) {
      const origin = request.headers.origin;
      if (origin && !this.#originAllowed(origin, request)) {
        this.o.logger.warn({ origin }, 'VNC connection refused: origin not allowed');
        refuseUpgrade(
          socket,
          403,
          `origin ${origin} is not allowed to open VNC streams; use the StreamSpace UI at ${this.o.publicUrl}`,
        );
        return true;
      }
      this.#wss.handleUpgrade(
        request,
        socket,
        head,
        (ws) => void this.#acceptViewer(ws, viewer[1]!, url.searchParams.get('ticket')),
      );
      return true;
    }
    const tunnel = TUNNEL_PATH.exec(url.pathname);
    if (tunnel) {
      this.#acceptTunnel(request, socket, head, tunnel[1]!);
      return true;
    }
    return false;
  }

  #originAllowed(origin: string, request: IncomingMessage): boolean {
    if (this.#allowedOrigins.has(origin)) return true;
    // The page the viewer was served from: same host as this request.
    const host = request.headers.host;
    return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
  }

  async #acceptViewer(viewer: WebSocket, sessionId: string, ticket: string | null) {
    viewer.pause(); // nothing is read from the viewer until its stream is joined
    const log = this.o.logger.child({ sessionId });
    const refuse = (name: VncCloseName, reason: string = VncClose[name].reason) => {
      log.info({ reason }, 'VNC connection refused');
      closeSocket(viewer, VncClose[name].code, reason);
    };
    try {
      if (!ticket || !isUuid(sessionId)) return refuse('TicketInvalid');
      const redeemed = await redeemTicket(this.o.db, hashSecret(ticket).toString('hex'), sessionId);
      if (!redeemed) return refuse('TicketInvalid');
      const [session, user] = await Promise.all([
        findSession(this.o.db, sessionId),
        findUserById(this.o.db, redeemed.user_id),
      ]);
      if (!session || session.state === 'deleted') return refuse('SessionNotFound');
      if (!user || user.disabled || !mayViewSession({ userId: user.id, role: user.role }, session))
        return refuse('Forbidden');
      if (session.state !== 'running') return refuse('SessionNotRunning', `session is ${session.state}`);
      if (!session.agent_id) return refuse('AgentOffline');
      if (!this.o.hub.holds(session.agent_id)) {
        // Joining a viewer on this replica to an agent held by another needs replica-to-replica
        // forwarding, which is not built yet: say so rather than blame the agent.
        const agent = await this.o.db
          .selectFrom('agents')
          .select(['status', 'replica_id'])
          .where('id', '=', session.agent_id)
          .executeTakeFirst();
        return agent?.status === 'online'
          ? refuse(
              'AgentOffline',
              `agent is connected to replica ${agent.replica_id ?? '?'}; streams across replicas are not supported yet`,
            )
          : refuse('AgentOffline');
      }
      await this.#openTunnel(viewer, session.id, session.agent_id, log);
    } catch (error) {
      log.error({ err: error }, 'VNC connection failed');
      closeSocket(viewer, 1011, 'internal error; try again');
    }
  }

  async #openTunnel(viewer: WebSocket, sessionId: string, agentUuid: string, log: Logger) {
    const tunnelId = randomUUID();
    const token = randomBytes(24).toString('base64url');
    const stream: Stream = {
      tunnelId,
      sessionId,
      agentUuid,
      viewer,
      tokenHash: hashSecret(token),
      agentSide: undefined,
      lastActivity: Date.now(),
      timer: setTimeout(() => this.#end(stream, 'TunnelTimeout'), this.o.tunnelTimeoutMs ?? 10_000),
    };
    this.#streams.set(tunnelId, stream);
    this.o.metrics.wsConnections.inc({ kind: 'vnc' });
    viewer.on('close', () => {
      this.o.metrics.wsConnections.dec({ kind: 'vnc' });
      this.#end(stream, undefined);
    });
    viewer.on('error', () => undefined);
    await this.o.dispatcher.enqueue({
      agentUuid,
      sessionId,
      type: 'open_tunnel',
      data: { tunnel_id: tunnelId, token },
    });
    log.info({ tunnelId }, `VNC tunnel requested for session ${sessionId}`);
  }

  #acceptTunnel(request: IncomingMessage, socket: Duplex, head: Buffer, tunnelId: string) {
    const stream = this.#streams.get(tunnelId);
    const presented = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!stream || stream.agentSide || !timingSafeEqual(hashSecret(presented), stream.tokenHash)) {
      refuseUpgrade(socket, 401, `tunnel ${tunnelId} unknown, already joined or wrong token`);
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (agentSide) => {
      clearTimeout(stream.timer);
      stream.agentSide = agentSide;
      if (stream.viewer.readyState !== WebSocket.OPEN) {
        agentSide.close(1000, 'viewer left');
        return;
      }
      this.o.metrics.wsConnections.inc({ kind: 'tunnel' });
      agentSide.on('close', () => {
        this.o.metrics.wsConnections.dec({ kind: 'tunnel' });
        void this.#agentSideClosed(stream);
      });
      agentSide.on('error', () => undefined);
      splice(stream.viewer, agentSide, () => (stream.lastActivity = Date.now()));
      stream.viewer.resume();
      this.o.logger.info(
        { sessionId: stream.sessionId, tunnelId },
        `VNC proxy connection established for session ${stream.sessionId}`,
      );
    });
  }

  /** The agent's side went away: say why, from what the database and hub know. */
  async #agentSideClosed(stream: Stream) {
    if (!this.#streams.has(stream.tunnelId)) return;
    // The agent's control socket may close a moment after its tunnel when the agent dies.
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!this.#streams.has(stream.tunnelId)) return;
    const session = await findSession(this.o.db, stream.sessionId).catch(() => undefined);
    if (session && session.state !== 'running') this.#end(stream, 'SessionStopped', `session ${session.state}`);
    else if (!this.o.hub.holds(stream.agentUuid)) this.#end(stream, 'AgentOffline');
    else this.#end(stream, 'StreamEnded');
  }

  #closeIdle() {
    const cutoff = Date.now() - this.o.idleTimeoutMs;
    for (const stream of this.#streams.values()) {
      if (stream.agentSide && stream.lastActivity < cutoff) this.#end(stream, 'IdleTimeout');
    }
  }

  /** Closes both sides once; `name` is the viewer's close reason (none when the viewer left). */
  #end(stream: Stream, name: VncCloseName | undefined, reason?: string) {
    if (!this.#streams.delete(stream.tunnelId)) return;
    clearTimeout(stream.timer);
    if (name) closeSocket(stream.viewer, VncClose[name].code, reason ?? VncClose[name].reason);
    if (stream.agentSide) closeSocket(stream.agentSide, 1000, 'stream ended');
  }

  stop() {
    clearInterval(this.#sweeper);
    for (const stream of [...this.#streams.values()]) this.#end(stream, 'ShuttingDown');
    this.#wss.close();
  }
}
