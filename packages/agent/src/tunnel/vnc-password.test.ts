import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { newVncPassword, obfuscateVncPassword, revealVncPassword, vncAuthResponse } from './vnc-password.js';
import { authenticateToServer, offerNoAuthToViewer } from './rfb-handshake.js';

test("passwords are stored in vncpasswd's form and read back", () => {
  // The value `vncpasswd -f` writes for "password".
  assert.equal(obfuscateVncPassword('password'), 'dbd83cfd727a1458');
  assert.equal(revealVncPassword('dbd83cfd727a1458'), 'password');
  const fresh = newVncPassword();
  assert.equal(fresh.length, 8);
  assert.equal(revealVncPassword(obfuscateVncPassword(fresh)), fresh);
});

/** A VNC server asking for VNC Authentication; accepts `password`, then sends `after`. */
async function vncServer(password: string, after: Buffer) {
  const server = createServer((socket: Socket) => {
    const challenge = Buffer.from('0123456789abcdef');
    socket.write('RFB 003.008\n');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length === 12) socket.write(Buffer.from([1, 2])); // one type: VNC Authentication
      if (received.length === 13) socket.write(challenge);
      if (received.length === 29) {
        const ok = received.subarray(13).equals(vncAuthResponse(password, challenge));
        const reason = Buffer.from('Authentication failed');
        socket.write(ok ? Buffer.concat([Buffer.alloc(4), after]) : Buffer.from([0, 0, 0, 1, 0, 0, 0, reason.length]));
        if (!ok) socket.end(reason);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  return { server, socket };
}

test('the agent answers VNC Authentication and keeps what the server sends after it', async () => {
  const { server, socket } = await vncServer('s3cret12', Buffer.from('server-init'));
  const leftover = await authenticateToServer(socket, 's3cret12');
  // The server's next bytes may come with the result or just after: both reach the viewer.
  const rest =
    leftover.length > 0 ? leftover : await new Promise<Buffer>((r) => (socket.resume(), socket.once('data', r)));
  assert.equal(rest.toString(), 'server-init');
  socket.destroy();
  server.close();
});

test('a wrong password fails with the server reason and what to do', async () => {
  const { server, socket } = await vncServer('s3cret12', Buffer.alloc(0));
  await assert.rejects(
    authenticateToServer(socket, 'wrong'),
    /rejected the session's password \(Authentication failed\); restart the session/,
  );
  socket.destroy();
  server.close();
});

test('a server that refuses in RFB 3.3 (TigerVNC’s blacklist) fails with its reason', async () => {
  const reason = 'Too many security failures';
  // The exact bytes TigerVNC sends to an address it has blacklisted.
  const server = createServer((socket: Socket) =>
    socket.end(
      Buffer.concat([
        Buffer.from('RFB 003.003\n'),
        Buffer.from([0, 0, 0, 0, 0, 0, 0, reason.length]),
        Buffer.from(reason),
      ]),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await assert.rejects(authenticateToServer(socket, 'whatever'), /refused the connection: Too many security failures/);
  socket.destroy();
  server.close();
});

test('the viewer is offered security None, and its bytes after the handshake are handed on', async () => {
  const viewer = new PassThrough();
  const written: Buffer[] = [];
  viewer.write = ((chunk: Buffer | string) => (written.push(Buffer.from(chunk)), true)) as typeof viewer.write;
  // The viewer's version, its choice of None and its ClientInit arrived together with the 101.
  const handedOn = await offerNoAuthToViewer(viewer, Buffer.from('RFB 003.008\n\x01\x01', 'latin1'));
  assert.deepEqual(Buffer.concat(written), Buffer.from('RFB 003.008\n\x01\x01\x00\x00\x00\x00', 'latin1'));
  assert.deepEqual(handedOn, Buffer.from([1]), 'ClientInit goes on to the server');
});

test('a connection that errs mid-handshake fails the read, naming the peer, instead of crashing the agent', async () => {
  const stream = new PassThrough();
  const pending = authenticateToServer(stream, 'x');
  stream.destroy(new Error('read ECONNRESET'));
  await assert.rejects(pending, /^Error: the VNC server: read ECONNRESET$/);
});

test('a server offering no authentication is refused when the agent holds a password for it', async () => {
  let answered: Buffer | undefined;
  const server = createServer((socket: Socket) => {
    socket.write('RFB 003.008\n');
    socket.once('data', () => {
      socket.write(Buffer.from([1, 1])); // one security type: None
      socket.once('data', (chosen: Buffer) => (answered = chosen));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await assert.rejects(authenticateToServer(socket, 's3cret12'), /offers no authentication .*refusing/);
  assert.equal(answered, undefined, 'the agent did not choose None');
  socket.destroy();
  server.close();
});
