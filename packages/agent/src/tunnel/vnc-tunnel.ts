import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import type { VncEndpoint } from '../drivers/session-driver.js';

const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

/** The data WebSocket's URL: the control plane's origin from CONTROL_PLANE_URL, our tunnel's path. */
export function tunnelUrl(controlPlaneUrl: string, tunnelId: string): string {
  const url = new URL(controlPlaneUrl);
  url.pathname = `/agent/tunnel/${tunnelId}`;
  url.search = '';
  return url.toString();
}

/**
 * One VNC stream: a TCP connection to the session's VNC port joined to a WebSocket the agent dials
 * out to the control plane. Each side is paused while the other's buffer is over the high-water
 * mark, so a slow viewer slows the VNC server instead of growing memory.
 */
export class VncTunnel {
  readonly closed: Promise<void>;
  #close!: () => void;

  private constructor(
    readonly id: string,
    private readonly tcp: Socket,
    private readonly ws: WebSocket,
  ) {
    this.closed = new Promise((resolve) => (this.#close = resolve));
    tcp.on('data', (chunk: Buffer) => {
      ws.send(chunk, { binary: true }, () => {
        if (tcp.isPaused() && ws.bufferedAmount < LOW_WATER_BYTES) tcp.resume();
      });
      if (ws.bufferedAmount > HIGH_WATER_BYTES) tcp.pause();
    });
    ws.on('message', (data: Buffer) => {
      if (!tcp.write(data)) ws.pause();
    });
    tcp.on('drain', () => ws.resume());
    const end = () => this.close();
    tcp.on('close', end);
    tcp.on('error', end);
    ws.on('close', end);
    ws.on('error', end);
  }

  /** Connects to VNC first (so a dead session fails before the control plane is dialled), then dials. */
  static async open(options: {
    id: string;
    endpoint: VncEndpoint;
    url: string;
    token: string;
    logger: Logger;
  }): Promise<VncTunnel> {
    const tcp = await new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: options.endpoint.host, port: options.endpoint.port });
      socket.once('connect', () => resolve(socket));
      socket.once('error', (error) =>
        reject(new Error(`VNC at ${options.endpoint.host}:${options.endpoint.port} refused: ${error.message}`)),
      );
    });
    tcp.setNoDelay(true);
    tcp.pause(); // nothing flows until the control plane's side is open
    const ws = new WebSocket(options.url, {
      headers: { authorization: `Bearer ${options.token}` },
      perMessageDeflate: false,
    });
    // Handlers go on before 'open': the control plane may forward viewer bytes in the same packet as
    // its 101 response, and ws emits them right after 'open', before an awaiting caller resumes.
    const tunnel = new VncTunnel(options.id, tcp, ws);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (_request, response) =>
          reject(new Error(`control plane refused tunnel ${options.id}: HTTP ${response.statusCode}`)),
        );
        ws.once('error', reject);
        ws.once('close', () => reject(new Error(`tunnel ${options.id} closed before it opened`)));
      });
    } catch (error) {
      tunnel.close();
      throw error;
    }
    tcp.resume();
    return tunnel;
  }

  close(): void {
    this.tcp.destroy();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000, 'tunnel closed');
    this.#close();
  }
}
