import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { burstWrites, type Corkable } from '@streamspace/protocol';
import type { RfbClientStream } from './rfb-client-stream.js';

/** What the viewer's bytes pass through on their way to the agent (issue 13). */
export interface ViewerBytes {
  /** Follows the client-to-server RFB stream; in view mode it drops input. */
  parser: RfbClientStream;
  /** A chunk held key or pointer input. */
  onInput(): void;
  /** The viewer broke the protocol: its bytes stop here and the stream must end. */
  onProtocolError(error: Error): void;
}

/** Above this many bytes queued towards the viewer, the agent's side stops being read. */
export const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
const BINARY = { binary: true } as const;

/**
 * Joins a viewer's WebSocket to an agent's raw tunnel: each chunk from the agent is framed once,
 * as one binary message, and each message from the viewer is written through unframed. Backpressure
 * both ways: the tunnel is paused while the viewer's send buffer is over the high-water mark (TCP
 * then pushes back to the agent and on to the VNC server), the viewer while the tunnel's write
 * buffer is full. Memory per stream stays bounded whatever the two ends' speeds. The viewer's
 * bytes go through `bytes.parser` (control: the chunk itself, scanned; view: slices of it).
 * `viewerSocket` is the socket under the viewer's WebSocket: the frames of one burst of reads from
 * the tunnel leave in one write (burstWrites).
 */
export function splice(
  viewer: WebSocket,
  viewerSocket: Corkable,
  tunnel: Duplex,
  onActivity: () => void,
  bytes: ViewerBytes,
): void {
  const beforeWrite = burstWrites(viewerSocket);
  // Only the chunk that crosses the high-water mark asks to hear when it is flushed: ws calls back
  // after the socket wrote it, when all before it is gone too. No callback (and no closure held by
  // ws's write queue) for the chunks of a stream that keeps up.
  const resumeTunnel = () => {
    if (tunnel.isPaused() && viewer.bufferedAmount < LOW_WATER_BYTES) tunnel.resume();
  };
  tunnel.on('data', (chunk: Buffer) => {
    onActivity();
    if (viewer.readyState !== WebSocket.OPEN) return;
    beforeWrite();
    if (viewer.bufferedAmount + chunk.length > HIGH_WATER_BYTES) {
      viewer.send(chunk, BINARY, resumeTunnel);
      tunnel.pause();
    } else viewer.send(chunk, BINARY);
  });
  let full = false;
  const write = (part: Buffer) => {
    if (!tunnel.write(part)) full = true;
  };
  viewer.on('message', (data: Buffer) => {
    onActivity();
    full = false;
    try {
      if (bytes.parser.push(data, write)) bytes.onInput();
    } catch (error) {
      bytes.onProtocolError(error as Error);
      return;
    }
    if (full) viewer.pause();
  });
  tunnel.on('drain', () => viewer.resume());
}
