import { availableParallelism } from 'node:os';
import { TooManyRequestsError } from '../errors.js';
import { decoyPasswordHash, hashPassword, verifyPassword } from './passwords.js';

/**
 * argon2id costs 64 MiB and ~50 ms of a core per call; unbounded, a burst of logins (even refused
 * ones reaching the check) takes every core and the memory with it. At most `slots` run at once, at
 * most `maxWaiting` wait; beyond that the caller is told to come back (429, Retry-After).
 */
export class PasswordGate {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly slots = Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2))),
    readonly maxWaiting = 64,
  ) {}

  /** No hash (an unknown user, or one of single sign-on without a password): checked against a decoy,
   * so the answer takes as long and is false. */
  verify(hash: string | null | undefined, password: string): Promise<boolean> {
    return this.#run(async () => verifyPassword(hash ?? (await decoyPasswordHash()), password));
  }

  hash(password: string): Promise<string> {
    return this.#run(() => hashPassword(password));
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.slots) {
      if (this.#waiting.length >= this.maxWaiting) {
        throw new TooManyRequestsError('The server is busy checking passwords; try again in 1 s', 1);
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
      if (next) next();
      else this.#running--;
    }
  }
}
