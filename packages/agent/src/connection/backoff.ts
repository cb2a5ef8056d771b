/**
 * Exponential backoff with full jitter (AWS architecture blog): many agents reconnecting after a
 * control-plane restart spread out instead of arriving together. Retries forever.
 */
export class Backoff {
  #attempt = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(this.random() * ceiling);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
