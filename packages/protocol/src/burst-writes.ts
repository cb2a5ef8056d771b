/** A writable whose writes can be held and then flushed as one (a net.Socket, a TLS socket). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Coalesces the writes a relay makes during one burst of reads into one system call. libuv reads a
 * busy socket several times per event-loop turn, and a relay writes each chunk on at once: on a
 * stream that keeps up that is a system call (and, on loopback, the receiver's wake-up) per 64 KiB.
 * The first write of a turn goes out at once, so a lone interactive chunk waits for nothing; later
 * writes in the same turn are held (cork) and flushed together when the turn's reads are done
 * (setImmediate runs after the poll phase that delivered them), as one writev.
 *
 * Returns the function to call before each write to `target`.
 */
export function burstWrites(target: Corkable): () => void {
  let burst = false;
  let corked = false;
  const endBurst = () => {
    burst = false;
    if (corked) {
      corked = false;
      target.uncork();
    }
  };
  return () => {
    if (!burst) {
      burst = true;
      setImmediate(endBurst);
    } else if (!corked) {
      corked = true;
      target.cork();
    }
  };
}
