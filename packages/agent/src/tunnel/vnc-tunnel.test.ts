import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AGENT_CREDENTIAL_HEADER, RAW_TUNNEL_PROTOCOL, websocketAccept } from '@streamspace/protocol';
import pino from 'pino';
import { VncTunnel, dialRawTunnel, tunnelUrl } from './vnc-tunnel.js';

test('tunnel URLs keep the control plane origin and replace the path', () => {
  assert.equal(tunnelUrl('wss://cp.example.com/agent/ws?x=1', 'abc'), 'wss://cp.example.com/agent/tunnel/abc');
});

/** The control plane's side of the raw tunnel handshake, on a plain HTTP server. */
async function fakeControlPlane(onTunnel: (request: IncomingMessage, socket: Duplex) => void) {
  const server = createHttpServer((_request, response) => response.writeHead(404).end());
  server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    if (request.headers.authorization !== 'Bearer one-time-token') {
      const body = JSON.stringify({ error: 'unauthorized', message: 'wrong token' });
      socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${websocketAccept(String(request.headers['sec-websocket-key']))}\r\n` +
        `Sec-WebSocket-Protocol: ${request.headers['sec-websocket-protocol']}\r\n\r\n`,
    );
    onTunnel(request, socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: (id: string) => `ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent/tunnel/${id}` };
}

test('bytes the control plane sends together with its 101 reach the VNC server, and the way back is raw too', async () => {
  // The VNC side: an echo server on loopback.
  const vnc = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => vnc.listen(0, '127.0.0.1', resolve));
  let received!: (data: Buffer) => void;
  const echoed = new Promise<Buffer>((resolve) => (received = resolve));
  const cp = await fakeControlPlane((request, socket) => {
    assert.equal(request.headers['sec-websocket-protocol'], RAW_TUNNEL_PROTOCOL);
    assert.equal(request.headers[AGENT_CREDENTIAL_HEADER], 'the-agents-credential', 'who dials, beside the token');
    // Written at once after the 101, before the agent has anything piped: it must not be lost.
    socket.write('hello through the tunnel');
    socket.once('data', received);
  });
  const tunnel = await VncTunnel.open({
    id: 't1',
    token: 'one-time-token',
    credential: 'the-agents-credential',
    endpoint: { host: '127.0.0.1', port: (vnc.address() as AddressInfo).port },
    url: cp.url('t1'),
    logger: pino({ level: 'silent' }),
  });
  assert.equal((await echoed).toString(), 'hello through the tunnel', 'unframed both ways');
  tunnel.close();
  await tunnel.closed;
  cp.server.close();
  vnc.close();
});

test("a refused tunnel rejects with the control plane's reason", async () => {
  const { server, url } = await fakeControlPlane(() => undefined);
  await assert.rejects(dialRawTunnel(url('t3'), 'forged', 'c'), /^Error: HTTP 401: wrong token$/);
  server.close();
});

test('a VNC port that refuses fails the open before the control plane is dialled', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  closed.close();
  await assert.rejects(
    VncTunnel.open({
      id: 't2',
      token: 'x',
      credential: 'c',
      endpoint: { host: '127.0.0.1', port },
      url: 'ws://127.0.0.1:1/never',
      logger: pino({ level: 'silent' }),
    }),
    /VNC at 127\.0\.0\.1:\d+ refused/,
  );
});
