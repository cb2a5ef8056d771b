import { connect, type Socket } from 'node:net';

const MIN_READ = 64 * 1024;
const MAX_READ = 512 * 1024;
/** Every socket's reads land here while they are small; the callback copies them out at once. */
const shared = Buffer.allocUnsafeSlow(MIN_READ);

/**
 * A TCP connection whose reads grow while it streams: Node reads at most 64 KiB at a time, and on
 * a relay each read costs a system call, a WebSocket frame and a write. Small reads (an idle or
 * interactive desktop) go into one buffer shared by all such sockets and are copied out, so an idle
 * stream holds no read buffer; a read that fills at least half its buffer is handed on as it is
 * (no copy) and the next one gets a buffer of its own, twice as large while reads fill it, up to
 * 512 KiB. Emits 'data' like any socket; pause() and resume() stop and start reading.
 */
export function connectWithLargeReads(options: { host: string; port: number }): Socket {
  let size = MIN_READ;
  let own: Buffer | undefined;
  const socket: Socket = connect({
    ...options,
    onread: {
      buffer: () => own ?? shared,
      callback: (n: number, read: Uint8Array) => {
        const bytes = read as Buffer;
        let chunk: Buffer;
        if (n * 2 >= bytes.length) {
          chunk = bytes === shared ? Buffer.from(bytes.subarray(0, n)) : bytes.subarray(0, n);
          if (n === bytes.length) size = Math.min(MAX_READ, size * 2);
          own = Buffer.allocUnsafeSlow(size);
        } else {
          chunk = Buffer.allocUnsafe(n);
          bytes.copy(chunk, 0, 0, n);
          size = MIN_READ;
          own = undefined;
        }
        socket.emit('data', chunk);
        return true; // a listener that wants no more calls pause(), which stops reading
      },
    },
  });
  return socket;
}
