import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

/** Sends `bytes` to every connection as fast as the connection takes them, then waits for the
 * client to close: closing first would race the relays' flushing (websockify drops the tail). */
export function sourceServer(bytes: number): Promise<Server> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const chunk = bytes - sent >= CHUNK.length ? CHUNK : CHUNK.subarray(0, bytes - sent);
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    pump();
    socket.on('error', () => undefined);
  });
  return listen(server);
}

/** Writes back whatever arrives. */
export function echoServer(): Promise<Server> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.pipe(socket);
    socket.on('error', () => undefined);
  });
  return listen(server);
}

/** Like a VNC server that nobody drives: greets each connection with its ProtocolVersion, then idles. */
export function bannerServer(): Promise<Server> {
  const server = createServer((socket) => {
    socket.write('RFB 003.008\n');
    socket.on('error', () => undefined);
  });
  return listen(server);
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve(server)));
}

export const portOf = (server: Server) => (server.address() as AddressInfo).port;
