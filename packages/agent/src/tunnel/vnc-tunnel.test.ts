import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import pino from 'pino';
import { VncTunnel, tunnelUrl } from './vnc-tunnel.js';

test('tunnel URLs keep the control plane origin and replace the path', () => {
  assert.equal(tunnelUrl('wss://cp.example.com/agent/ws?x=1', 'abc'), 'wss://cp.example.com/agent/tunnel/abc');
});

test('bytes the control plane sends together with its 101 reach the VNC server, and the way back works', async () => {
  // The VNC side: an echo server on loopback.
  const vnc = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => vnc.listen(0, '127.0.0.1', resolve));
  // The control plane's side: sends at once on upgrade, as the proxy does with a waiting viewer.
  const cp = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => cp.once('listening', resolve));
  const echoed = new Promise<Buffer>((resolve) =>
    cp.once('connection', (ws, request) => {
      assert.equal(request.headers.authorization, 'Bearer one-time-token');
      ws.send(Buffer.from('hello through the tunnel'));
      ws.once('message', (data: Buffer) => resolve(data));
    }),
  );
  const tunnel = await VncTunnel.open({
    id: 't1',
    token: 'one-time-token',
    endpoint: { host: '127.0.0.1', port: (vnc.address() as AddressInfo).port },
    url: `ws://127.0.0.1:${(cp.address() as AddressInfo).port}/agent/tunnel/t1`,
    logger: pino({ level: 'silent' }),
  });
  assert.equal((await echoed).toString(), 'hello through the tunnel');
  tunnel.close();
  await tunnel.closed;
  cp.close();
  vnc.close();
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
      endpoint: { host: '127.0.0.1', port },
      url: 'ws://127.0.0.1:1/never',
      logger: pino({ level: 'silent' }),
    }),
    /VNC at 127\.0\.0\.1:\d+ refused/,
  );
});
