import { connect } from 'node:net';
import WebSocket from 'ws';

/** Opens a stream to a byte source: raw TCP, or a WebSocket in front of it. */
export type Opener = () => Promise<{
  onData(listener: (chunk: Buffer) => void): void;
  onClose(listener: (why: string) => void): void;
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
          onClose: (l) => socket.on('close', () => l('closed')),
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
    // Messages that arrive with the 101 (a loaded machine reads them in one go) are emitted before
    // the caller can listen: hold them until it does.
    let early: Buffer[] | undefined = [];
    let listener: ((chunk: Buffer) => void) | undefined;
    ws.on('message', (data: Buffer) => (listener ? listener(data) : early?.push(data)));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return {
      onData: (l) => {
        listener = l;
        for (const chunk of early ?? []) l(chunk);
        early = undefined;
      },
      onClose: (l) => ws.on('close', (code, reason) => l(`${code} ${reason.toString()}`)),
      send: (d) => ws.send(d),
      close: () => ws.close(),
    };
  };

/** Reads `bytes` from a fresh stream; returns the seconds from its first byte to its last. A
 * stream that ends short is an error naming how much arrived (a relay that drops bytes must not
 * look fast). `window` is told when the bytes start and when the last arrives, before the stream
 * closes: what a relay spends opening and closing a stream (its database, its audit) is not the
 * bytes' cost. */
export async function timeBulk(
  open: Opener,
  bytes: number,
  window: { start(): Promise<unknown>; end(): Promise<unknown> } = { start: async () => 0, end: async () => 0 },
): Promise<number> {
  const stream = await open();
  let started = 0;
  let starting: Promise<unknown> | undefined;
  let ending: Promise<unknown> | undefined;
  await new Promise<void>((resolve, reject) => {
    let received = 0;
    stream.onData((chunk) => {
      if (received === 0) {
        started = performance.now();
        starting = window.start();
      }
      received += chunk.length;
      if (received >= bytes && !ending) {
        ending = starting!.then(() => window.end());
        resolve();
      }
    });
    stream.onClose(() => {
      if (received < bytes) reject(new Error(`stream closed after ${received} of ${bytes} bytes`));
    });
  });
  const seconds = (performance.now() - started) / 1000;
  await ending;
  stream.close();
  return seconds;
}

/**
 * The viewer's half of an RFB 3.8 handshake with security None, as the proxy follows it
 * (rfb-client-stream.ts): ProtocolVersion, the security type, ClientInit. 14 bytes.
 */
const RFB_HANDSHAKE = Buffer.concat([Buffer.from('RFB 003.008\n', 'latin1'), Buffer.from([1, 1])]);

/** A 64-byte client message the proxy lets through: ClientCutText (8-byte header) with 56 bytes of text. */
const PING = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 56]), Buffer.alloc(56, 0x61)]);

/**
 * 64-byte ping-pongs over one stream to an echo server; returns each round trip in microseconds.
 * The stream speaks RFB from the viewer's side (handshake, then ClientCutText messages), since the
 * proxy closes a viewer that sends anything else; the echo server returns the bytes as they came.
 */
export async function pingPong(open: Opener, rounds: number): Promise<number[]> {
  const stream = await open();
  const rtts: number[] = [];
  let pending: (() => void) | undefined;
  let awaited = RFB_HANDSHAKE.length;
  let got = 0;
  stream.onData((chunk) => {
    got += chunk.length;
    if (got >= awaited) {
      got -= awaited;
      pending?.();
    }
  });
  const exchange = (payload: Buffer) =>
    new Promise<void>((resolve) => {
      awaited = payload.length;
      pending = resolve;
      stream.send(payload);
    });
  await exchange(RFB_HANDSHAKE);
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await exchange(PING);
    rtts.push((performance.now() - started) * 1000);
  }
  stream.close();
  return rtts;
}

/** Opens a stream and resolves once its first bytes (the server's greeting) have come through. */
export async function openGreeted(open: Opener): Promise<{ close(): void }> {
  const stream = await open();
  await new Promise<void>((resolve, reject) => {
    stream.onData(() => resolve());
    stream.onClose((why) => reject(new Error(`an idle stream closed before the server greeted it: ${why}`)));
  });
  return stream;
}
