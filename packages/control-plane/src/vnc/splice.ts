import WebSocket from 'ws';

/** Above this many bytes queued towards one side, the other side stops being read. */
export const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

/**
 * Joins two WebSockets byte for byte, in both directions, with backpressure: when the receiving
 * side's send buffer passes the high-water mark the sending side's socket is paused (TCP then
 * pushes back to its peer) until the buffer drains below the low-water mark. Memory per stream
 * stays bounded whatever the two ends' speeds.
 */
export function splice(a: WebSocket, b: WebSocket, onActivity: () => void): void {
  pipe(a, b, onActivity);
  pipe(b, a, onActivity);
}

function pipe(from: WebSocket, to: WebSocket, onActivity: () => void) {
  const resumeIfDrained = () => {
    if (from.isPaused && to.bufferedAmount < LOW_WATER_BYTES) from.resume();
  };
  from.on('message', (data: Buffer, isBinary: boolean) => {
    onActivity();
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary }, resumeIfDrained);
    if (to.bufferedAmount > HIGH_WATER_BYTES && !from.isPaused) from.pause();
  });
}
