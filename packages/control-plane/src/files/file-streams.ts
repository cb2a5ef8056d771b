import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  AGENT_CREDENTIAL_HEADER,
  RAW_TUNNEL_PROTOCOL,
  parseFileStreamReply,
  websocketAccept,
  type FileStreamOp,
  type FileStreamReply,
} from '@streamspace/protocol';
import type { Schema } from '../db/schema.js';
import type { CommandDispatcher } from '../dispatcher/command-dispatcher.js';
import { deleteTunnel, findTunnel, insertTunnel } from '../db/queries/vnc-tunnels.js';
import { refuseUpgrade } from '../hub/agent-hub.js';
import { diallingAgent } from '../vnc/dialling-agent.js';
import { relayUpgrade } from '../vnc/replica-relay.js';
import { fileStreamTokenMatches } from './file-stream-token.js';
import { readReplyLine } from './reply-line.js';

export interface FileStreamsOptions {
  db: Kysely<Schema>;
  dispatcher: CommandDispatcher;
  logger: Logger;
  /** The tunnel HMAC key (vnc/tunnel-token.ts deriveTunnelKey). */
  tunnelSecret: Buffer;
  replicaId: string;
  /** How long the agent has to dial the stream back after open_file_stream. */
  dialTimeoutMs?: number;
}

/** An open file stream: the agent's first reply, and the raw socket positioned after it. */
export interface FileStream {
  id: string;
  reply: FileStreamReply;
  socket: Duplex;
}

/** The agent did not dial the stream back in time (offline, busy, or refused by us). */
export class FileStreamTimeoutError extends Error {}

interface Pending {
  agentUuid: string;
  sessionId: string;
  dialled(link: { socket: Duplex; head: Buffer }): void;
}

const STREAM_PATH = /^\/agent\/files\/([0-9a-f-]{36})$/;
/** A directory listing travels as one JSON line; the agent caps it well below this. */
const MAX_REPLY_BYTES = 16 * 1024 * 1024;
/** The agent answers once its script has checked the path (or listed the directory). */
const REPLY_TIMEOUT_MS = 60_000;

/**
 * The control-plane end of file streams: asks the session's agent (through the command table, so
 * any replica can) to dial /agent/files/{id} and waits for that dial. The dial uses the VNC
 * tunnel's handshake, token scheme (under its own label), agent-credential check and cross-replica
 * relay (a vnc_tunnels row says which replica waits), so files travel exactly as VNC does, one
 * stream per transfer, with TCP backpressure end to end and nothing held in memory.
 */
export class FileStreams {
  readonly #pending = new Map<string, Pending>();
  #replicaUrl: string | undefined;

  constructor(private readonly o: FileStreamsOptions) {}

  setReplicaUrl(url: string) {
    this.#replicaUrl = url;
  }

  /** Opens a stream to the session's agent and reads its first reply. */
  async open(request: {
    sessionId: string;
    agentUuid: string;
    op: FileStreamOp;
    path: string;
    size?: number;
  }): Promise<FileStream> {
    if (!this.#replicaUrl) throw new Error('file streams used before the server listens');
    const id = randomUUID();
    const timeoutMs = this.o.dialTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const dialled = new Promise<{ socket: Duplex; head: Buffer }>((resolve, reject) => {
      this.#pending.set(id, { agentUuid: request.agentUuid, sessionId: request.sessionId, dialled: resolve });
      timer = setTimeout(
        () =>
          reject(
            new FileStreamTimeoutError(`the session's agent did not open the file stream within ${timeoutMs / 1000} s`),
          ),
        timeoutMs,
      );
    });
    try {
      await insertTunnel(this.o.db, {
        id,
        sessionId: request.sessionId,
        replicaId: this.o.replicaId,
        replicaUrl: this.#replicaUrl,
      });
      await this.o.dispatcher.enqueue({
        agentUuid: request.agentUuid,
        sessionId: request.sessionId,
        type: 'open_file_stream',
        data: {
          stream_id: id,
          op: request.op,
          path: request.path,
          ...(request.size === undefined ? {} : { size: request.size }),
        },
      });
      const link = await dialled;
      try {
        const { line, rest } = await readReplyLine(link.socket, link.head, MAX_REPLY_BYTES, REPLY_TIMEOUT_MS);
        if (rest.length > 0) link.socket.unshift(rest);
        return { id, reply: parseFileStreamReply(line), socket: link.socket };
      } catch (error) {
        link.socket.destroy();
        throw error;
      }
    } finally {
      clearTimeout(timer);
      this.#pending.delete(id);
      void deleteTunnel(this.o.db, id).catch(() => undefined);
    }
  }

  /** Claims upgrades on /agent/files/…; false for other paths. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const match = STREAM_PATH.exec(new URL(request.url ?? '/', 'http://x').pathname);
    if (!match) return false;
    void this.#accept(request, socket, head, match[1]!);
    return true;
  }

  async #accept(request: IncomingMessage, socket: Duplex, head: Buffer, id: string) {
    socket.pause(); // held until the dialler is known
    const presented = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    try {
      const pending = this.#pending.get(id);
      if (!pending) return await this.#relay(request, socket, head, id, presented);
      if (!fileStreamTokenMatches(this.o.tunnelSecret, id, pending.agentUuid, presented))
        return refuseUpgrade(socket, 401, `wrong or missing token for file stream ${id}`);
      // A copy of the token is not enough: the dial must carry the credential of the agent it was sent to.
      const dialler = await diallingAgent(this.o.db, request);
      if (dialler !== pending.agentUuid)
        return refuseUpgrade(
          socket,
          dialler === undefined ? 401 : 403,
          dialler === undefined
            ? `file stream ${id}: missing, unknown or revoked agent credential in ${AGENT_CREDENTIAL_HEADER}`
            : `file stream ${id} belongs to another agent's session`,
        );
      const key = request.headers['sec-websocket-key'];
      const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!key || !protocols.includes(RAW_TUNNEL_PROTOCOL))
        return refuseUpgrade(socket, 426, `file stream ${id}: ask for the ${RAW_TUNNEL_PROTOCOL} subprotocol`);
      if (socket.destroyed || this.#pending.get(id) !== pending)
        return refuseUpgrade(socket, 410, `file stream ${id} is no longer awaited`);
      this.#pending.delete(id);
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${websocketAccept(key)}\r\nSec-WebSocket-Protocol: ${RAW_TUNNEL_PROTOCOL}\r\n\r\n`,
      );
      (socket as Socket).setTimeout?.(0);
      socket.on('error', () => undefined);
      pending.dialled({ socket, head });
    } catch (error) {
      this.o.logger.error({ err: error, streamId: id }, 'file stream dial could not be checked');
      refuseUpgrade(socket, 503, `file stream ${id} could not be checked (database unavailable); retry`);
    }
  }

  /** A stream awaited on another replica: pass the agent's dial on to it (vnc/replica-relay.ts). */
  async #relay(request: IncomingMessage, socket: Duplex, head: Buffer, id: string, presented: string) {
    const row = await findTunnel(this.o.db, id);
    if (!row?.agent_id || !fileStreamTokenMatches(this.o.tunnelSecret, id, row.agent_id, presented))
      return refuseUpgrade(socket, 401, `wrong or missing token for file stream ${id}`);
    if (row.replica_id === this.o.replicaId)
      return refuseUpgrade(socket, 410, `file stream ${id} is no longer awaited`);
    this.o.logger.info({ streamId: id, sessionId: row.session_id, replica: row.replica_id }, 'file stream relayed');
    relayUpgrade(request, socket, head, new URL(row.replica_url), (error) => {
      this.o.logger.warn({ err: error, streamId: id, replicaUrl: row.replica_url }, 'file stream relay failed');
      return `replica ${row.replica_id} awaiting this file stream is unreachable at ${row.replica_url} (${error.message})`;
    });
  }

  /** Streams not yet dialled are simply left to time out; those already open belong to their requests. */
  stop() {
    this.#pending.clear();
  }
}
