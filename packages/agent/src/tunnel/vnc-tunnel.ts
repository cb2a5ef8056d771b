import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import {
  AGENT_CREDENTIAL_HEADER,
  RAW_TUNNEL_PROTOCOL,
  burstWrites,
  websocketAccept,
  type InProcessTunnels,
} from '@streamspace/protocol';
import type { VncEndpoint } from '../drivers/session-driver.js';
import { authenticateToServer, offerNoAuthToViewer } from './rfb-handshake.js';
import { connectWithLargeReads } from './large-reads.js';

const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The data WebSocket's URL: the control plane's origin from CONTROL_PLANE_URL, our tunnel's path. */
export function tunnelUrl(controlPlaneUrl: string, tunnelId: string): string {
  const url = new URL(controlPlaneUrl);
  url.pathname = `/agent/tunnel/${tunnelId}`;
  url.search = '';
  return url.toString();
}

/**
 * Dials the control plane for one tunnel: a WebSocket handshake (so proxies pass it) asking for
 * the raw tunnel subprotocol, after which the connection carries VNC bytes unframed. Resolves with
 * the socket and any bytes that arrived with the 101; rejects with the control plane's reason.
 * `credential` is the agent's own: the control plane admits the tunnel token only from the agent it
 * was sent to.
 */
export function dialRawTunnel(
  url: string,
  token: string,
  credential: string,
): Promise<{ socket: Duplex; head: Buffer }> {
  const target = new URL(url);
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const key = randomBytes(16).toString('base64');
  const request = (secure ? httpsRequest : httpRequest)({
    hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: target.port || (secure ? 443 : 80),
    path: `${target.pathname}${target.search}`,
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Protocol': RAW_TUNNEL_PROTOCOL,
      Authorization: `Bearer ${token}`,
      [AGENT_CREDENTIAL_HEADER]: credential,
    },
  });
  return new Promise((resolve, reject) => {
    request.setTimeout(HANDSHAKE_TIMEOUT_MS, () =>
      request.destroy(new Error(`no answer from ${target.host} within ${HANDSHAKE_TIMEOUT_MS / 1000} s`)),
    );
    request.once('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      if (
        response.headers['sec-websocket-accept'] !== websocketAccept(key) ||
        response.headers['sec-websocket-protocol'] !== RAW_TUNNEL_PROTOCOL
      ) {
        socket.destroy();
        reject(new Error(`${target.host} did not accept the raw tunnel protocol; upgrade the control plane`));
        return;
      }
      socket.setTimeout(0);
      socket.setNoDelay(true);
      resolve({ socket, head });
    });
    request.once('response', (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk.slice(0, 1000)));
      response.on('end', () => {
        let message = body;
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
          // not JSON: keep the text
        }
        reject(new Error(`HTTP ${response.statusCode}: ${message}`));
      });
    });
    request.once('error', reject);
    request.end();
  });
}

/**
 * One VNC stream: a TCP connection to the session's VNC port joined to a raw tunnel the agent dials
 * out to the control plane. Backpressure in both directions means a slow viewer slows the VNC
 * server instead of growing memory. The server's side is read in large reads and each turn's reads
 * leave in one write (burstWrites); the viewer's few bytes are piped. In the control plane's process (`inProcess`) there
 * is no tunnel: the control plane takes the TCP connection itself and splices it to the viewer.
 */
export class VncTunnel {
  readonly closed: Promise<void>;
  #close!: () => void;

  private constructor(
    readonly id: string,
    private readonly tcp: Socket,
    private readonly link?: Duplex,
  ) {
    this.closed = new Promise((resolve) => (this.#close = resolve));
    if (link) {
      const beforeWrite = burstWrites(link);
      tcp.on('data', (chunk: Buffer) => {
        beforeWrite();
        if (!link.write(chunk)) tcp.pause();
      });
      link.on('drain', () => tcp.resume());
      link.pipe(tcp);
      tcp.resume();
    }
    const end = () => this.close();
    for (const socket of link ? [tcp, link] : [tcp]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  }

  /** Connects to VNC first (so a dead session fails before the control plane is dialled), then dials. */
  static async open(options: {
    id: string;
    endpoint: VncEndpoint;
    url: string;
    token: string;
    credential: string;
    logger: Logger;
    /** The control plane's process, when the agent runs in it. */
    inProcess?: InProcessTunnels;
  }): Promise<VncTunnel> {
    const tcp = await new Promise<Socket>((resolve, reject) => {
      const endpoint = { host: options.endpoint.host, port: options.endpoint.port };
      // The relay's read side: larger reads, fewer writes and frames.
      const socket = connectWithLargeReads(endpoint);
      socket.once('connect', () => resolve(socket));
      socket.once('error', (error) =>
        reject(new Error(`VNC at ${options.endpoint.host}:${options.endpoint.port} refused: ${error.message}`)),
      );
    });
    tcp.setNoDelay(true);
    tcp.pause(); // nothing flows until the control plane's side is open
    let link: Duplex | undefined;
    try {
      // With a password the agent is the VNC client for security, and the viewer is offered None:
      // the control plane has already authorized it.
      const fromServer = options.endpoint.password
        ? await authenticateToServer(tcp, options.endpoint.password)
        : Buffer.alloc(0);
      const joined = await options.inProcess?.join({
        tunnelId: options.id,
        token: options.token,
        credential: options.credential,
        vnc: tcp,
        fromServer,
        ...(options.endpoint.password ? { greetViewer: offerNoAuthToViewer } : {}),
      });
      if (joined) return new VncTunnel(options.id, tcp);
      const dialled = await dialRawTunnel(options.url, options.token, options.credential).catch((error: Error) => {
        throw new Error(`control plane refused tunnel ${options.id}: ${error.message}`);
      });
      link = dialled.socket;
      // Viewer bytes the control plane sent together with its 101.
      const fromViewer = options.endpoint.password ? await offerNoAuthToViewer(link, dialled.head) : dialled.head;
      if (fromServer.length > 0) link.write(fromServer);
      if (fromViewer.length > 0) tcp.write(fromViewer);
      return new VncTunnel(options.id, tcp, link);
    } catch (error) {
      tcp.destroy();
      link?.destroy();
      throw error;
    }
  }

  close(): void {
    this.tcp.destroy();
    this.link?.destroy();
    this.#close();
  }
}
