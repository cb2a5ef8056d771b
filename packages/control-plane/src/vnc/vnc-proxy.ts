import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Kysely } from 'kysely';
import WebSocket, { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import {
  AGENT_CREDENTIAL_HEADER,
  RAW_TUNNEL_PROTOCOL,
  VncClose,
  websocketAccept,
  type Corkable,
  type InProcessTunnel,
  type VncCloseName,
} from '@streamspace/protocol';
import type { Schema } from '../db/schema.js';
import { redeemTicket } from '../db/queries/vnc-tickets.js';
import { findSession } from '../db/queries/sessions.js';
import { isAgentOnline } from '../db/queries/agents.js';
import { deleteTunnel, findTunnel, insertTunnel } from '../db/queries/vnc-tunnels.js';
import type { CommandDispatcher } from '../dispatcher/command-dispatcher.js';
import { refuseUpgrade, type AgentHub } from '../hub/agent-hub.js';
import type { Metrics } from '../metrics/metrics.js';
import { mayViewSession } from './stream-access.js';
import { shareAdmits } from '../db/queries/session-shares.js';
import { splice } from './splice.js';
import { relayUpgrade } from './replica-relay.js';
import { tunnelTokenMatches } from './tunnel-token.js';
import { isUuid } from '../ids.js';
import { credentialAgent, diallingAgent } from './dialling-agent.js';
import { greetViewer } from './viewer-greeting.js';
import type { Grant, UserAccess } from '../auth/user-access.js';
import { recordAudit } from '../db/queries/audit.js';
import type { ClientAddress } from '../api/client-address.js';
import type { Database, Unlisten } from '../db/database.js';
import type { ViewerMode } from '../db/schema.js';
import { RfbClientStream } from './rfb-client-stream.js';
import { ViewerPresence } from './viewer-presence.js';
import { closeReasonText, listenForViewerClose, viewerMatches, type ViewerCloseRequest } from './viewer-close.js';

export interface VncProxyOptions {
  db: Kysely<Schema>;
  hub: AgentHub;
  dispatcher: CommandDispatcher;
  metrics: Metrics;
  logger: Logger;
  publicUrl: string;
  idleTimeoutMs: number;
  /** The replicas' shared secret: tunnel tokens are HMACs of the tunnel id under it. */
  /** The tunnel HMAC key (deriveTunnelKey of JWT_SECRET). */
  tunnelSecret: Buffer;
  replicaId: string;
  /** Checks the login that minted a ticket, and ends streams whose login is revoked or expires. */
  access: UserAccess;
  /** How long the agent has to dial the tunnel back after open_tunnel. */
  tunnelTimeoutMs?: number;
  /** The viewer's address (TRUST_PROXY applied) for the audit log. */
  clientAddress?: ClientAddress;
  /** Input is written to sessions.last_activity_at at most this often per session (default 1 min). */
  activityWriteMs?: number;
}

interface Stream {
  tunnelId: string;
  sessionId: string;
  /** The ticket's mode, held for the whole connection, and the share it was redeemed through. */
  mode: ViewerMode;
  shareId: string | null;
  /** Who is watching, for vnc_viewers and the audit's session.leave. */
  userId: string;
  username: string;
  address: string | null;
  connectedAt: number;
  agentUuid: string;
  viewer: WebSocket;
  /** The socket under `viewer`, for splice's coalesced writes. */
  viewerSocket: Corkable;
  /** The agent's raw tunnel, once it has dialled in. */
  agentSide: Duplex | undefined;
  lastActivity: number;
  timer: NodeJS.Timeout;
  /** Stops watching the viewer's login. */
  unwatch: () => void;
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
 * The agent's dial may land on another replica (agents reach us through the load balancer); that
 * replica relays it here, to the replica the vnc_tunnels row names.
 */
export class VncProxy {
  readonly #wss = new WebSocketServer({
    noServer: true,
    // noVNC asks for the "binary" subprotocol; a viewer asking for none gets none.
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
    maxPayload: 16 * 1024 * 1024,
  });
  readonly #streams = new Map<string, Stream>();
  /** Open streams per session: the last one to leave ends its presence (no scan of all streams). */
  readonly #sessionStreams = new Map<string, number>();
  readonly #allowedOrigins: Set<string>;
  readonly #sweeper: NodeJS.Timeout;
  #replicaUrl: string | undefined;
  #unlisten: Unlisten | undefined;
  readonly #presence: ViewerPresence;

  constructor(private readonly o: VncProxyOptions) {
    this.#allowedOrigins = new Set([new URL(o.publicUrl).origin]);
    this.#presence = new ViewerPresence(o.db, o.logger, o.activityWriteMs ?? 60_000);
    o.hub.onAgentDisconnected((agentUuid) => {
      for (const stream of this.#streams.values()) {
        if (stream.agentUuid === agentUuid) this.#end(stream, 'AgentOffline');
      }
    });
    // Idle streams are found by a sweep, not a timer reset on every frame of a busy stream.
    this.#sweeper = setInterval(() => this.#closeIdle(), Math.min(30_000, Math.max(100, o.idleTimeoutMs / 4)));
    this.#sweeper.unref();
  }

  /** Starts acting on closeViewers requests from any replica (NOTIFY vnc_viewer_close). */
  async start(database: Database) {
    this.#unlisten = await listenForViewerClose(database, (request) => this.closeLocal(request));
  }

  /** Closes this replica's viewers that `request` names, with its reason. */
  closeLocal(request: ViewerCloseRequest) {
    for (const stream of [...this.#streams.values()]) {
      if (viewerMatches(request, stream)) this.#end(stream, 'ViewerClosed', request.reason);
    }
  }

  /** Where other replicas reach this one; known once the server listens. */
  setReplicaUrl(url: string) {
    this.#replicaUrl = url;
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
        (ws) =>
          void this.#acceptViewer(
            ws,
            socket,
            viewer[1]!,
            url.searchParams.get('ticket'),
            this.o.clientAddress?.(request) ?? request.socket.remoteAddress ?? null,
          ),
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

  async #acceptViewer(
    viewer: WebSocket,
    viewerSocket: Corkable,
    sessionId: string,
    ticket: string | null,
    address: string | null,
  ) {
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
      // The login that minted the ticket must still hold (not revoked, expired or disabled since).
      const grant = {
        userId: redeemed.user_id,
        tokenVersion: redeemed.token_version,
        expiresAt: redeemed.token_expires_at ?? new Date(0),
      };
      const [session, login] = await Promise.all([findSession(this.o.db, sessionId), this.o.access.check(grant)]);
      if (!session || session.state === 'deleted') return refuse('SessionNotFound');
      if (!login.ok) return refuse('LoginEnded', `${VncClose.LoginEnded.reason} (${login.reason})`);
      // The owner and admins, or a share's guest while the share admits them (api/routes/shares.ts).
      const admitted =
        mayViewSession(login.user, session) ||
        (redeemed.share_id !== null &&
          (await shareAdmits(this.o.db, redeemed.share_id, session.id, login.user.userId)));
      if (!admitted) return refuse('Forbidden');
      if (session.state !== 'running') return refuse('SessionNotRunning', `session is ${session.state}`);
      if (!session.agent_id) return refuse('AgentOffline');
      // The agent may be held by another replica: the command reaches it through the database.
      if (!this.o.hub.holds(session.agent_id) && !(await isAgentOnline(this.o.db, session.agent_id)))
        return refuse('AgentOffline');
      // Once per connection: the ticket was redeemed above and cannot open a second one.
      await recordAudit(this.o.db, {
        actorUserId: login.user.userId,
        actor: login.user.username,
        action: 'session.connect',
        targetType: 'session',
        targetId: session.id,
        details: { owner_user_id: session.user_id, mode: redeemed.mode, share_id: redeemed.share_id ?? null },
        ip: address,
      });
      await this.#openTunnel(
        viewer,
        viewerSocket,
        {
          sessionId: session.id,
          mode: redeemed.mode,
          shareId: redeemed.share_id ?? null,
          userId: login.user.userId,
          username: login.user.username,
          address,
          connectedAt: Date.now(),
        },
        session.agent_id,
        grant,
        log,
      );
    } catch (error) {
      log.error({ err: error }, 'VNC connection failed');
      closeSocket(viewer, 1011, 'internal error; try again');
    }
  }

  async #openTunnel(
    viewer: WebSocket,
    viewerSocket: Corkable,
    held: Pick<Stream, 'sessionId' | 'mode' | 'shareId' | 'userId' | 'username' | 'address' | 'connectedAt'>,
    agentUuid: string,
    grant: Grant,
    log: Logger,
  ) {
    const tunnelId = randomUUID();
    const sessionId = held.sessionId;
    const stream: Stream = {
      unwatch: () => undefined,
      tunnelId,
      ...held,
      agentUuid,
      viewer,
      viewerSocket,
      agentSide: undefined,
      lastActivity: Date.now(),
      timer: setTimeout(() => this.#end(stream, 'TunnelTimeout'), this.o.tunnelTimeoutMs ?? 10_000),
    };
    this.#streams.set(tunnelId, stream);
    this.#sessionStreams.set(sessionId, (this.#sessionStreams.get(sessionId) ?? 0) + 1);
    stream.unwatch = this.o.access.watch(grant, (verdict) =>
      this.#end(stream, 'LoginEnded', `${VncClose.LoginEnded.reason} (${verdict.reason})`),
    );
    this.o.metrics.wsConnections.inc({ kind: 'vnc' });
    viewer.on('close', () => {
      this.o.metrics.wsConnections.dec({ kind: 'vnc' });
      this.#end(stream, undefined);
    });
    viewer.on('error', () => undefined);
    if (!this.#replicaUrl) throw new Error('VNC proxy used before the server listens');
    // The viewer's row (id: its tunnel's) says who watches, on every replica, and keeps the
    // session from counting as "no viewer" while it is here.
    await this.#presence.join({
      id: tunnelId,
      sessionId,
      userId: held.userId,
      username: held.username,
      shareId: held.shareId,
      mode: held.mode,
      replicaId: this.o.replicaId,
    });
    if (!this.#streams.has(tunnelId)) return void (await this.#presence.leave(tunnelId, sessionId));
    // Opening the desktop is someone at it: a session idle for 29 minutes without a viewer must not
    // hibernate under the user who just opened it.
    if (held.mode === 'control') this.#presence.input(sessionId);
    await insertTunnel(this.o.db, {
      id: tunnelId,
      sessionId,
      replicaId: this.o.replicaId,
      replicaUrl: this.#replicaUrl,
    });
    // The token is added as the command is sent (hub's completePayload), never stored.
    await this.o.dispatcher.enqueue({ agentUuid, sessionId, type: 'open_tunnel', data: { tunnel_id: tunnelId } });
    log.info({ tunnelId }, `VNC tunnel requested for session ${sessionId}`);
  }

  #acceptTunnel(request: IncomingMessage, socket: Duplex, head: Buffer, tunnelId: string) {
    const presented = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const stream = this.#streams.get(tunnelId);
    if (!stream) {
      void this.#relayTunnel(request, socket, head, tunnelId, presented);
      return;
    }
    // The token names the agent it was sent to: only the session's agent can join its stream.
    if (!tunnelTokenMatches(this.o.tunnelSecret, tunnelId, stream.agentUuid, presented)) {
      refuseUpgrade(socket, 401, `wrong or missing token for tunnel ${tunnelId}`);
      return;
    }
    void this.#checkDialler(request, socket, head, stream);
  }

  /**
   * The token is a bearer secret: a copy of it (a log, a proxy, another agent's host) must not be
   * enough, so the dial must also carry the credential of the agent the token was sent to.
   */
  async #checkDialler(request: IncomingMessage, socket: Duplex, head: Buffer, stream: Stream) {
    const tunnelId = stream.tunnelId;
    socket.pause(); // held until the dialler is known
    let dialler: string | undefined;
    try {
      dialler = await diallingAgent(this.o.db, request);
    } catch (error) {
      this.o.logger.error({ err: error, tunnelId }, 'VNC tunnel dialler lookup failed');
      refuseUpgrade(
        socket,
        503,
        `tunnel ${tunnelId}: the agent credential could not be checked (database unavailable); retry`,
      );
      return;
    }
    if (dialler === undefined) {
      refuseUpgrade(
        socket,
        401,
        `tunnel ${tunnelId}: missing, unknown or revoked agent credential in ${AGENT_CREDENTIAL_HEADER}; upgrade the agent`,
      );
      return;
    }
    if (dialler !== stream.agentUuid) {
      this.o.logger.warn({ tunnelId, sessionId: stream.sessionId, dialler }, 'VNC tunnel dialled by another agent');
      refuseUpgrade(socket, 403, `tunnel ${tunnelId} belongs to another agent's session`);
      return;
    }
    if (socket.destroyed) return; // the dialler gave up while we looked it up
    if (this.#streams.get(tunnelId) !== stream) {
      refuseUpgrade(socket, 410, `tunnel ${tunnelId} is unknown or its viewer has left`);
      return;
    }
    this.#joinTunnel(request, socket, head, stream);
  }

  #joinTunnel(request: IncomingMessage, socket: Duplex, head: Buffer, stream: Stream) {
    const tunnelId = stream.tunnelId;
    if (stream.agentSide) {
      refuseUpgrade(socket, 409, `tunnel ${tunnelId} is already joined`);
      return;
    }
    const key = request.headers['sec-websocket-key'];
    const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!key || !protocols.includes(RAW_TUNNEL_PROTOCOL)) {
      refuseUpgrade(
        socket,
        426,
        `tunnel ${tunnelId}: ask for the ${RAW_TUNNEL_PROTOCOL} subprotocol; upgrade the agent`,
      );
      return;
    }
    clearTimeout(stream.timer);
    if (stream.viewer.readyState !== WebSocket.OPEN) {
      refuseUpgrade(socket, 410, `tunnel ${tunnelId}: the viewer has left`);
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${websocketAccept(key)}\r\nSec-WebSocket-Protocol: ${RAW_TUNNEL_PROTOCOL}\r\n\r\n`,
    );
    this.o.metrics.wsConnections.inc({ kind: 'tunnel' });
    socket.on('close', () => this.o.metrics.wsConnections.dec({ kind: 'tunnel' }));
    this.#attach(stream, socket, head, 'dialled', new RfbClientStream(stream.mode));
  }

  /**
   * The one-hop path: the agent in this process hands over its socket to the session's VNC server
   * (past its VNC authentication), checked as a dial would be, and it is spliced to the viewer.
   */
  async joinInProcess(tunnel: InProcessTunnel): Promise<boolean> {
    const { tunnelId } = tunnel;
    const stream = this.#streams.get(tunnelId);
    // Not a viewer of this process (another replica's, or gone): the agent dials, as in distributed mode.
    if (!stream) return false;
    if (!tunnelTokenMatches(this.o.tunnelSecret, tunnelId, stream.agentUuid, tunnel.token))
      throw new Error(`wrong or missing token for tunnel ${tunnelId}`);
    const agent = await credentialAgent(this.o.db, tunnel.credential);
    if (agent !== stream.agentUuid)
      throw new Error(
        agent === undefined
          ? `tunnel ${tunnelId}: missing, unknown or revoked agent credential`
          : `tunnel ${tunnelId} belongs to another agent's session`,
      );
    if (this.#streams.get(tunnelId) !== stream || stream.viewer.readyState !== WebSocket.OPEN)
      throw new Error(`tunnel ${tunnelId} is unknown or its viewer has left`);
    if (stream.agentSide) throw new Error(`tunnel ${tunnelId} is already joined`);
    clearTimeout(stream.timer);
    // Held from here, so the viewer leaving during the greeting closes the VNC connection too.
    stream.agentSide = tunnel.vnc;
    const parser = new RfbClientStream(stream.mode);
    let fromViewer: Buffer = Buffer.alloc(0);
    if (tunnel.greetViewer) {
      try {
        fromViewer = await greetViewer(stream.viewer, parser, tunnel.greetViewer);
      } catch (error) {
        this.#end(stream, 'ProtocolError', (error as Error).message);
        throw error;
      }
      if (this.#streams.get(tunnelId) !== stream) return true; // the viewer left meanwhile: #end closed both
    }
    if (tunnel.fromServer.length > 0) stream.viewer.send(tunnel.fromServer, { binary: true });
    this.#attach(stream, tunnel.vnc, fromViewer, 'in_process', parser, true);
    return true;
  }

  /** Splices the stream's agent side (a raw tunnel, or the VNC socket itself) to its viewer. */
  #attach(
    stream: Stream,
    socket: Duplex,
    head: Buffer,
    path: 'dialled' | 'in_process',
    parser: RfbClientStream,
    headToServer = false,
  ) {
    const tunnelId = stream.tunnelId;
    (socket as Socket).setNoDelay?.(true);
    (socket as Socket).setTimeout?.(0);
    stream.agentSide = socket;
    this.o.metrics.vncTunnels.inc({ path });
    socket.on('close', () => void this.#agentSideClosed(stream));
    socket.on('error', () => undefined);
    // A VNC stream has no use for half-closed: the agent's end is the stream's end.
    socket.on('end', () => socket.destroy());
    splice(stream.viewer, stream.viewerSocket, socket, () => (stream.lastActivity = Date.now()), {
      parser,
      // View-only input never reaches the agent, so it is not activity either.
      onInput: () => stream.mode === 'control' && this.#presence.input(stream.sessionId),
      onProtocolError: (error) => {
        this.o.logger.warn({ sessionId: stream.sessionId, tunnelId, err: error }, 'VNC viewer closed: protocol error');
        this.#end(stream, 'ProtocolError', error.message);
      },
    });
    // Bytes that came with the tunnel's 101 are the agent's; after an in-process greeting they are the viewer's.
    if (head.length > 0) {
      if (headToServer) socket.write(head);
      else socket.unshift(head);
    }
    socket.resume();
    stream.viewer.resume();
    this.o.logger.info(
      { sessionId: stream.sessionId, tunnelId, path },
      `VNC proxy connection established for session ${stream.sessionId}`,
    );
  }

  /** A tunnel whose viewer is on another replica: pass the agent's dial on to it. */
  async #relayTunnel(request: IncomingMessage, socket: Duplex, head: Buffer, tunnelId: string, presented: string) {
    socket.pause(); // held until piped to the viewer's replica
    try {
      const tunnel = await findTunnel(this.o.db, tunnelId);
      if (!tunnel?.agent_id || !tunnelTokenMatches(this.o.tunnelSecret, tunnelId, tunnel.agent_id, presented)) {
        refuseUpgrade(socket, 401, `wrong or missing token for tunnel ${tunnelId}`);
        return;
      }
      if (tunnel.replica_id === this.o.replicaId) {
        refuseUpgrade(socket, 410, `tunnel ${tunnelId} is unknown or its viewer has left`);
        return;
      }
      this.o.logger.info(
        { tunnelId, sessionId: tunnel.session_id, replica: tunnel.replica_id },
        `VNC tunnel relayed to replica ${tunnel.replica_id}`,
      );
      relayUpgrade(request, socket, head, new URL(tunnel.replica_url), (error) => {
        this.o.logger.warn({ err: error, tunnelId, replicaUrl: tunnel.replica_url }, 'VNC tunnel relay failed');
        return `replica ${tunnel.replica_id} holding this tunnel's viewer is unreachable at ${tunnel.replica_url} (${error.message}); check its REPLICA_URL`;
      });
    } catch (error) {
      this.o.logger.error({ err: error, tunnelId }, 'VNC tunnel lookup failed');
      refuseUpgrade(socket, 503, `tunnel ${tunnelId} could not be looked up (database unavailable); retry`);
    }
  }

  /** The agent's side went away: say why, from what the database and hub know. */
  async #agentSideClosed(stream: Stream) {
    if (!this.#streams.has(stream.tunnelId)) return;
    // The agent's control socket may close a moment after its tunnel when the agent dies.
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!this.#streams.has(stream.tunnelId)) return;
    const session = await findSession(this.o.db, stream.sessionId).catch(() => undefined);
    if (session && session.state !== 'running') this.#end(stream, 'SessionStopped', `session ${session.state}`);
    else if (
      !this.o.hub.holds(stream.agentUuid) &&
      !(await isAgentOnline(this.o.db, stream.agentUuid).catch(() => false))
    )
      this.#end(stream, 'AgentOffline');
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
    stream.unwatch();
    void deleteTunnel(this.o.db, stream.tunnelId).catch(() => undefined);
    void this.#presence.leave(stream.tunnelId, stream.sessionId);
    const left = (this.#sessionStreams.get(stream.sessionId) ?? 1) - 1;
    if (left > 0) this.#sessionStreams.set(stream.sessionId, left);
    else {
      this.#sessionStreams.delete(stream.sessionId);
      this.#presence.forget(stream.sessionId);
    }
    void recordAudit(this.o.db, {
      actorUserId: stream.userId,
      actor: stream.username,
      action: 'session.leave',
      targetType: 'session',
      targetId: stream.sessionId,
      details: {
        duration_s: Math.round((Date.now() - stream.connectedAt) / 1000),
        mode: stream.mode,
        share_id: stream.shareId,
        reason: name ? (reason ?? VncClose[name].reason) : 'viewer left',
      },
      ip: stream.address,
    }).catch((error: unknown) => this.o.logger.warn({ err: error }, 'session.leave not audited'));
    if (name) closeSocket(stream.viewer, VncClose[name].code, closeReasonText(reason ?? VncClose[name].reason));
    stream.agentSide?.destroy();
  }

  stop() {
    clearInterval(this.#sweeper);
    this.#presence.stop();
    void this.#unlisten?.().catch(() => undefined);
    for (const stream of [...this.#streams.values()]) this.#end(stream, 'ShuttingDown');
    this.#wss.close();
  }
}
