import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * Asks questions on stderr and reads the answers from stdin, one line each. On a terminal a secret's
 * typing is not echoed; piped input (scripts, tests) is read line by line as it comes.
 */
export class Prompter {
  #muted = false;
  readonly #echo = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      if (!this.#muted) process.stderr.write(chunk);
      done();
    },
  });
  readonly #rl = createInterface({ input: process.stdin, output: this.#echo, terminal: process.stdin.isTTY === true });
  readonly #lines = this.#rl[Symbol.asyncIterator]();

  async ask(question: string, options: { secret?: boolean } = {}): Promise<string> {
    process.stderr.write(question);
    this.#muted = options.secret === true;
    try {
      const next = await this.#lines.next();
      if (next.done) throw new Error(`no answer to "${question.trim()}": stdin ended`);
      return next.value.trim();
    } finally {
      if (this.#muted && process.stdin.isTTY) process.stderr.write('\n');
      this.#muted = false;
    }
  }

  close() {
    this.#rl.close();
  }
}
