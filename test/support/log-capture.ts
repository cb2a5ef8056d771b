import { Writable } from 'node:stream';

/** A pino destination that keeps every JSON line, so tests can assert on what was logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    for (const line of chunk.toString().split('\n')) if (line) this.lines.push(line);
    if (process.env.STREAMSPACE_TEST_LOGS) process.stderr.write(chunk);
    callback();
  }

  get text(): string {
    return this.lines.join('\n');
  }

  messages(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
