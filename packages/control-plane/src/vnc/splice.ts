import type { Duplex } from 'node:stream';
import WebSocket from 'ws';

/** Above this many bytes queued towards the viewer, the agent's side stops being read. */
export const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

/**
 * Joins a viewer's WebSocket to an agent's raw tunnel: each chunk from the agent is framed once,
 * as one binary message, and each message from the viewer is written through unframed. Backpressure
 * both ways: the tunnel is paused while the viewer's send buffer is over the high-water mark (TCP
 * then pushes back to the agent and on to the VNC server), the viewer while the tunnel's write
 * buffer is full. Memory per stream stays bounded whatever the two ends' speeds.
 */
export function splice(viewer: WebSocket, tunnel: Duplex, onActivity: () => void): void {
  const resumeTunnel = () => {
    if (tunnel.isPaused() && viewer.bufferedAmount < LOW_WATER_BYTES) tunnel.resume();
  };
  tunnel.on('data', (chunk: Buffer) => {
    onActivity();
    if (viewer.readyState !== WebSocket.OPEN) return;
    viewer.send(chunk, { binary: true }, resumeTunnel);
    if (viewer.bufferedAmount > HIGH_WATER_BYTES && !tunnel.isPaused()) tunnel.pause();
  });
  viewer.on('message', (data: Buffer) => {
    onActivity();
    if (!tunnel.write(data)) viewer.pause();
  });
  tunnel.on('drain', () => viewer.resume());
}
