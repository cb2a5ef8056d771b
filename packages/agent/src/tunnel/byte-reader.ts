import type { Duplex } from 'node:stream';

/**
 * Exact-length reads from a stream during a handshake (RFB's, here and in the tests' VNC client);
 * what is read past the end is handed back by release(). A read fails when the peer closes, errs
 * or takes longer than the timeout, with a message naming the peer.
 */
export class ByteReader {
  #buffered: Buffer;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #onData = (chunk: Buffer) => {
    this.#buffered = Buffer.concat([this.#buffered, chunk]);
    this.#wake?.();
  };
  readonly #onEnd = () => this.#fail(new Error(`${this.peer} closed the connection during the RFB handshake`));
  // Without a listener an 'error' (a reset mid-handshake) would be thrown and end the process.
  readonly #onError = (error: Error) => this.#fail(new Error(`${this.peer}: ${error.message}`));

  constructor(
    private readonly stream: Duplex,
    private readonly peer: string,
    head: Buffer = Buffer.alloc(0),
    private readonly timeoutMs = 10_000,
  ) {
    this.#buffered = head;
    stream.on('data', this.#onData);
    stream.on('close', this.#onEnd);
    stream.on('end', this.#onEnd);
    stream.on('error', this.#onError);
    stream.resume(); // a stream paused before (the tunnel holds VNC until it is joined) reads again
  }

  async read(length: number): Promise<Buffer> {
    const deadline = setTimeout(
      () => this.#fail(new Error(`${this.peer} did not finish the RFB handshake in ${this.timeoutMs / 1000} s`)),
      this.timeoutMs,
    );
    try {
      while (this.#buffered.length < length) {
        if (this.#failure) throw this.#failure;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      clearTimeout(deadline);
      this.#wake = undefined;
    }
    const bytes = this.#buffered.subarray(0, length);
    this.#buffered = this.#buffered.subarray(length);
    return bytes;
  }

  /** Stops reading; returns what arrived beyond the handshake, for the stream's next reader. */
  release(): Buffer {
    this.stream.pause();
    this.stream.off('data', this.#onData);
    this.stream.off('close', this.#onEnd);
    this.stream.off('end', this.#onEnd);
    this.stream.off('error', this.#onError);
    return this.#buffered;
  }

  #fail(error: Error) {
    this.#failure ??= error;
    this.#wake?.();
  }
}
