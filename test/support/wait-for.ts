/**
 * Resolves when `probe` returns a truthy value; rejects with `what` and the last value seen when
 * the deadline passes. For state that lives in a database or another process, where no event can
 * be subscribed to, this is the event.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 15_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last instanceof Error ? last.message : JSON.stringify(last))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
