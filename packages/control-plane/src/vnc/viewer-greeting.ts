import { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { RfbClientStream } from './rfb-client-stream.js';

/**
 * Runs the agent's side of the viewer's RFB handshake (`greet`, the agent's offerNoAuthToViewer)
 * straight on the viewer's WebSocket, for the one-hop path: the viewer's messages pass through
 * `parser` as they would on their way to a tunnel, and what `greet` writes goes to the viewer as
 * binary messages. A Duplex for the few bytes of the handshake only; the stream's bytes after it
 * are spliced without one. Leaves the viewer paused; returns its bytes past the handshake.
 */
export async function greetViewer(
  viewer: WebSocket,
  parser: RfbClientStream,
  greet: (viewer: Duplex, head: Buffer) => Promise<Buffer>,
): Promise<Buffer> {
  const port = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _encoding, done) => viewer.send(chunk, { binary: true }, done),
  });
  const onMessage = (data: Buffer) => {
    try {
      parser.push(data, (part) => port.push(part));
    } catch (error) {
      port.destroy(error as Error);
    }
  };
  const onClose = () => port.push(null);
  viewer.on('message', onMessage);
  viewer.on('close', onClose);
  viewer.resume();
  try {
    return await greet(port, Buffer.alloc(0));
  } finally {
    viewer.off('message', onMessage);
    viewer.off('close', onClose);
    viewer.pause();
    port.destroy();
  }
}
