/**
 * A pass that calls coalesce into: run now, or (while one is in flight) once more after it, so a
 * burst of wake-ups (agent registrations, claims) costs at most two passes, never one per call.
 */
export class CoalescedPass {
  #running: Promise<void> | undefined;
  #again = false;

  constructor(private readonly pass: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.pass();
        } while (this.#again);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** The pass in flight, if any (to wait for at shutdown). */
  get inFlight(): Promise<void> | undefined {
    return this.#running;
  }
}
