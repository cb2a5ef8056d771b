import type { IncomingMessage } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import { refuseUpgrade } from '../hub/agent-hub.js';

/**
 * Hands an agent's tunnel upgrade, as it came, to the replica that holds the tunnel's viewer: the
 * request is replayed over a new connection to that replica and the two sockets are piped. The
 * WebSocket then runs end to end between the agent and that replica, which checks it as if the
 * agent had dialled it; this replica only copies bytes, without decoding frames.
 */
export function relayUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: URL,
  onUnreachable: (error: Error) => string,
): void {
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const upstream: Socket =
    target.protocol === 'https:'
      ? connectTls({ host: target.hostname, port, servername: target.hostname })
      : connectTcp({ host: target.hostname, port });
  let connected = false;
  const lines = [`${request.method ?? 'GET'} ${request.url ?? '/'} HTTP/1.1`, `Host: ${target.host}`];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]!.toLowerCase() !== 'host')
      lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
  }
  upstream.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
    connected = true;
    upstream.setNoDelay(true);
    (socket as Socket).setNoDelay?.(true);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  upstream.on('error', (error) => {
    if (connected) socket.destroy();
    else refuseUpgrade(socket, 502, onUnreachable(error));
  });
  upstream.on('close', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
}
