import { Writable } from 'node:stream';

/**
 * A script's stdout: its first line (`ready …`) goes to `onLine`, everything after it to `rest`,
 * with backpressure (a write completes only once `rest` has taken it). A first line longer than
 * `maxLine` is an error.
 */
export class ReadyLine extends Writable {
  #line: Buffer | undefined = Buffer.alloc(0);

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly rest: Writable,
    private readonly maxLine = 1024,
  ) {
    super();
  }

  get sawLine(): boolean {
    return this.#line === undefined;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    let data = chunk;
    if (this.#line !== undefined) {
      const joined = Buffer.concat([this.#line, chunk]);
      const end = joined.indexOf(0x0a);
      if (end < 0) {
        this.#line = joined;
        return done(joined.length > this.maxLine ? new Error('the file script said something unexpected') : null);
      }
      this.#line = undefined;
      this.onLine(joined.subarray(0, end).toString('utf8'));
      data = joined.subarray(end + 1);
    }
    if (data.length === 0 || this.rest.write(data)) return done();
    this.rest.once('drain', () => done());
  }
}

/** A Writable that keeps what it is given, up to `limit` bytes (then it fails). */
export class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  #size = 0;

  constructor(private readonly limit: number) {
    super();
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this.#size += chunk.length;
    if (this.#size > this.limit) return done(new Error(`more than ${this.limit} bytes of output`));
    this.chunks.push(chunk);
    done();
  }
}
