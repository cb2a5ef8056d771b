import type { ViewerMode } from '../db/schema.js';

/**
 * Client-to-server RFB message types the proxy knows (RFC 6143 7.5, and the extensions noVNC
 * sends: rfbproto "Client to Server Messages"). Anything else closes the viewer: bytes we cannot
 * frame could hide input from a view-only viewer, so they are never forwarded blindly.
 */
export const RfbClientMessage = {
  SetPixelFormat: 0,
  SetEncodings: 2,
  FramebufferUpdateRequest: 3,
  KeyEvent: 4,
  PointerEvent: 5,
  ClientCutText: 6,
  EnableContinuousUpdates: 150,
  Fence: 248,
  Xvp: 250,
  SetDesktopSize: 251,
  Qemu: 255,
} as const;

/** Fixed part of each message, type byte included; the variable rest is read from it. Tables
 * indexed by the type byte: this runs per message on the relay's hot path. */
const HEADER_BYTES = table([
  [0, 20],
  [2, 4],
  [3, 10],
  [4, 8],
  [5, 6],
  [6, 8],
  [150, 10],
  [248, 9],
  [250, 4],
  [251, 8],
  [255, 2],
]);

/**
 * What a view-only viewer may send: what it takes to watch. Fence and EnableContinuousUpdates are
 * flow control, not input: noVNC answers a server's Fence and turns on continuous updates when the
 * server offers them, and a TigerVNC server that gets no Fence reply stops sending updates (its
 * congestion control waits for it). They carry no keys, pointer, clipboard or desktop changes.
 */
const VIEW_ALLOWED = table([0, 2, 3, 150, 248].map((type) => [type, 1]));
/** Input that counts as activity: keys (also QEMU extended key events) and pointer. */
const INPUT = table([4, 5, 255].map((type) => [type, 1]));

function table(entries: [number, number][]): Uint8Array {
  const bytes = new Uint8Array(256);
  for (const [type, value] of entries) bytes[type] = value;
  return bytes;
}
/** Fence payloads are at most 64 bytes (rfbproto "Fence"). */
const MAX_FENCE_PAYLOAD = 64;
/** The viewer's handshake through our path: the agent offers it security type None only. */
const SECURITY_NONE = 1;

type Phase = 'version' | 'security' | 'init' | 'messages' | 'failed';

/**
 * Follows a viewer's client-to-server RFB stream as it passes through the proxy: the handshake
 * (ProtocolVersion, the security type the agent offered, ClientInit), then each message, split
 * across chunks however TCP and WebSocket framing cut it. In control mode every chunk goes on
 * untouched (only scanned); in view mode only the messages needed to watch go on, as slices of the
 * chunk (no copies). Memory per stream: a 20-byte header buffer.
 */
export class RfbClientStream {
  #phase: Phase = 'version';
  readonly #header = Buffer.alloc(20);
  #have = 0;
  /** Bytes of the current message's header still to collect (0: between messages or in a body). */
  #headerNeed = 0;
  /** Body bytes of the current message still to pass. */
  #bodyLeft = 0;
  /** Whether the current message goes on (view mode drops input). */
  #forwardCurrent = true;
  #version = '';

  constructor(readonly mode: ViewerMode) {}

  get phase(): Phase {
    return this.#phase;
  }

  /**
   * Scans `chunk`, hands what may reach the server to `forward` (in order) and returns whether it
   * held input (key or pointer). Throws RfbProtocolError when the viewer breaks the protocol;
   * nothing of that chunk is forwarded in control mode then, and the stream stays failed.
   */
  push(chunk: Buffer, forward: (part: Buffer) => void): boolean {
    if (this.#phase === 'failed') throw new RfbProtocolError('the stream already failed');
    const view = this.mode === 'view';
    let input = false;
    let i = 0;
    // Start of the run of this chunk's bytes to forward in view mode (-1: inside a dropped message).
    let runStart =
      view && (this.#forwardCurrent || this.#phase !== 'messages' || (this.#headerNeed === 0 && this.#bodyLeft === 0))
        ? 0
        : -1;
    try {
      while (i < chunk.length) {
        if (this.#phase !== 'messages') {
          i = this.#handshake(chunk, i);
          continue;
        }
        if (this.#bodyLeft > 0) {
          const n = Math.min(this.#bodyLeft, chunk.length - i);
          this.#bodyLeft -= n;
          i += n;
          continue;
        }
        if (this.#headerNeed === 0) {
          // A new message: its type decides, for all its bytes, whether it goes on.
          const type = chunk[i]!;
          const headerBytes = HEADER_BYTES[type]!;
          if (headerBytes === 0) throw new RfbProtocolError(`unknown client message type ${type}`);
          if (INPUT[type] === 1) input = true;
          this.#forwardCurrent = !view || VIEW_ALLOWED[type] === 1;
          if (view && this.#forwardCurrent && runStart < 0) runStart = i;
          else if (view && !this.#forwardCurrent && runStart >= 0) {
            if (i > runStart) forward(chunk.subarray(runStart, i));
            runStart = -1;
          }
          if (i + headerBytes <= chunk.length) {
            // The usual case: the whole header is in this chunk, read where it lies.
            this.#bodyLeft = bodyLength(chunk, i);
            i += headerBytes;
            continue;
          }
          this.#have = 0;
          this.#headerNeed = headerBytes;
        }
        const n = Math.min(this.#headerNeed, chunk.length - i);
        chunk.copy(this.#header, this.#have, i, i + n);
        this.#have += n;
        this.#headerNeed -= n;
        i += n;
        if (this.#headerNeed === 0) this.#bodyLeft = bodyLength(this.#header, 0);
      }
    } catch (error) {
      this.#phase = 'failed';
      throw error;
    }
    if (!view) forward(chunk);
    else if (runStart >= 0 && runStart < chunk.length) forward(runStart === 0 ? chunk : chunk.subarray(runStart));
    return input;
  }

  /** The handshake's client bytes: always forwarded, never input. Returns the new offset. */
  #handshake(chunk: Buffer, i: number): number {
    if (this.#phase === 'version') {
      const n = Math.min(12 - this.#have, chunk.length - i);
      chunk.copy(this.#header, this.#have, i, i + n);
      this.#have += n;
      if (this.#have < 12) return i + n;
      this.#version = this.#header.toString('latin1', 0, 12);
      if (!/^RFB 003\.00[378]\n$/.test(this.#version))
        throw new RfbProtocolError(`unsupported ProtocolVersion ${JSON.stringify(this.#version)}`);
      this.#have = 0;
      // RFB 3.3: the server chose the security type; the client sends none.
      this.#phase = this.#version === 'RFB 003.003\n' ? 'init' : 'security';
      return i + n;
    }
    if (this.#phase === 'security') {
      if (chunk[i] !== SECURITY_NONE)
        throw new RfbProtocolError(`security type ${chunk[i]} was not offered (only None, 1)`);
      this.#phase = 'init';
      return i + 1;
    }
    // ClientInit: one byte, the shared flag.
    this.#phase = 'messages';
    return i + 1;
  }
}

/** The variable part of the message whose header starts at `h[at]`. */
function bodyLength(h: Buffer, at: number): number {
  switch (h[at]) {
    case RfbClientMessage.SetEncodings:
      return 4 * h.readUInt16BE(at + 2);
    case RfbClientMessage.ClientCutText: {
      // Extended clipboard (rfbproto "Extended Clipboard Pseudo-Encoding") sends a negative
      // length: its absolute value is the size of the extended message.
      const length = h.readInt32BE(at + 4);
      return Math.abs(length);
    }
    case RfbClientMessage.Fence: {
      const length = h[at + 8]!;
      if (length > MAX_FENCE_PAYLOAD)
        throw new RfbProtocolError(`Fence payload of ${length} bytes (at most ${MAX_FENCE_PAYLOAD})`);
      return length;
    }
    case RfbClientMessage.SetDesktopSize:
      return 16 * h[at + 6]!;
    case RfbClientMessage.Qemu:
      // noVNC sends only the QEMU Extended Key Event (submessage 0): 12 bytes in all.
      if (h[at + 1] !== 0) throw new RfbProtocolError(`unknown QEMU client message subtype ${h[at + 1]}`);
      return 10;
    default:
      return 0;
  }
}

/** The viewer sent something that is not RFB as the proxy follows it. */
export class RfbProtocolError extends Error {
  constructor(detail: string) {
    super(`RFB protocol error from the viewer: ${detail}`);
    this.name = 'RfbProtocolError';
  }
}
