import { connect } from 'node:net';
import WebSocket from 'ws';

/** Opens a stream to a byte source: raw TCP, or a WebSocket in front of it. */
export type Opener = () => Promise<{
  onData(listener: (chunk: Buffer) => void): void;
  onClose(listener: () => void): void;
  send(data: Buffer): void;
  close(): void;
}>;

export const tcpOpener =
  (port: number): Opener =>
  () =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () =>
        resolve({
          onData: (l) => socket.on('data', l),
          onClose: (l) => socket.on('close', l),
          send: (d) => socket.write(d),
          close: () => socket.destroy(),
        }),
      );
      socket.setNoDelay(true);
      socket.on('error', reject);
    });

export const wsOpener =
  (url: () => Promise<string>, headers: Record<string, string> = {}): Opener =>
  async () => {
    const ws = new WebSocket(await url(), ['binary'], { headers, perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return {
      onData: (l) => ws.on('message', (d: Buffer) => l(d)),
      onClose: (l) => ws.on('close', l),
      send: (d) => ws.send(d),
      close: () => ws.close(),
    };
  };

/** Reads `bytes` from a fresh stream; returns the seconds it took. A stream that ends short is an
 * error naming how much arrived (a relay that drops bytes must not look fast). */
export async function timeBulk(open: Opener, bytes: number): Promise<number> {
  const stream = await open();
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    let received = 0;
    stream.onData((chunk) => {
      received += chunk.length;
      if (received >= bytes) resolve();
    });
    stream.onClose(() => {
      if (received < bytes) reject(new Error(`stream closed after ${received} of ${bytes} bytes`));
    });
  });
  const seconds = (performance.now() - started) / 1000;
  stream.close();
  return seconds;
}

/** 64-byte ping-pongs over one stream; returns each round trip in microseconds. */
export async function pingPong(open: Opener, rounds: number): Promise<number[]> {
  const stream = await open();
  const payload = Buffer.alloc(64, 1);
  const rtts: number[] = [];
  let pending: (() => void) | undefined;
  let got = 0;
  stream.onData((chunk) => {
    got += chunk.length;
    if (got >= 64) {
      got -= 64;
      pending?.();
    }
  });
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      pending = resolve;
      stream.send(payload);
    });
    rtts.push((performance.now() - started) * 1000);
  }
  stream.close();
  return rtts;
}
