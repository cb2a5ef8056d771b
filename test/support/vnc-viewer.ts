import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import { sql } from 'kysely';
import type { TestControlPlane } from './control-plane.js';
import { rfbFirstUpdate } from './rfb-client.js';
import { waitFor } from './wait-for.js';

export interface TestViewer {
  socket: WebSocket;
  stream: Duplex;
  /** Resolves with the close code and reason the proxy sent. */
  closed: Promise<{ code: number; reason: string }>;
  /** Sends raw bytes as one WebSocket message (a garbled message, or several at once). */
  send(bytes: Buffer): void;
  /** Types `text` (ASCII; "\n" is Return) as KeyEvent press/release pairs. */
  type(text: string): void;
  /** A PointerEvent at (x, y), no buttons. */
  point(x: number, y: number): void;
}

/** A session through the API: created from `template` and waited for until running. */
export async function runningSession(cp: TestControlPlane, template = 'xterm', token?: string): Promise<string> {
  const created = await cp.api('POST', '/api/v1/sessions', { body: { template }, token });
  if (created.status !== 201) throw new Error(`session not created: ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  await waitFor(
    'session running',
    async () => (await cp.api('GET', `/api/v1/sessions/${id}`, { token })).body.state === 'running',
    60_000,
  );
  return id;
}

/**
 * A ticket for the session's stream from the connect endpoint; with `mode` 'view' it is turned into
 * what a view-only share's redeem gives a guest (the sharing API lands on its own branch; the
 * proxy enforces the ticket's mode whoever minted it).
 */
export async function ticketPath(
  cp: TestControlPlane,
  sessionId: string,
  mode: 'control' | 'view' = 'control',
  token?: string,
) {
  const connect = await cp.api('POST', `/api/v1/sessions/${sessionId}/connect`, { token });
  if (connect.status !== 200) throw new Error(`no ticket: ${JSON.stringify(connect.body)}`);
  if (mode === 'view') {
    const hash = createHash('sha256')
      .update(connect.body.ticket as string)
      .digest('hex');
    await sql`UPDATE vnc_tickets SET mode = 'view' WHERE ticket_hash = ${hash}`.execute(cp.cp.database.db);
  }
  return connect.body.path as string;
}

/** Opens the viewer's WebSocket at `path` and completes the RFB handshake up to the first update. */
export async function openViewer(
  cp: TestControlPlane,
  path: string,
): Promise<TestViewer & { width: number; height: number }> {
  const socket = new WebSocket(`${cp.url.replace('http', 'ws')}${path}`, ['binary'], { headers: { origin: cp.url } });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const stream = createWebSocketStream(socket);
  stream.on('error', () => undefined);
  const { width, height } = await rfbFirstUpdate(stream);
  // Server messages from here on are not read; let them flow so the socket never backs up.
  stream.resume();
  const send = (bytes: Buffer) => socket.send(bytes, { binary: true });
  const key = (down: boolean, keysym: number) => {
    const message = Buffer.alloc(8);
    message.writeUInt8(4, 0);
    message.writeUInt8(down ? 1 : 0, 1);
    message.writeUInt32BE(keysym, 4);
    return message;
  };
  return {
    socket,
    stream,
    closed,
    width,
    height,
    send,
    type(text) {
      const messages: Buffer[] = [];
      for (const char of text) {
        const keysym = char === '\n' ? 0xff0d : char.charCodeAt(0);
        messages.push(key(true, keysym), key(false, keysym));
      }
      for (const message of messages) send(message);
    },
    point(x, y) {
      const message = Buffer.alloc(6);
      message.writeUInt8(5, 0);
      message.writeUInt16BE(x, 2);
      message.writeUInt16BE(y, 4);
      send(message);
    },
  };
}
