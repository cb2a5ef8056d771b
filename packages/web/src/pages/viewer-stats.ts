import type RFB from '@novnc/novnc';

/** What the connection indicator shows; undefined while not yet measured. */
export interface ViewerStats {
  /** Framebuffer updates noVNC finished decoding in the last second (0 while the screen is still). */
  fps: number;
  /** Median of the last round trips, in ms: see `probe` below for what one round trip is. */
  rttMs?: number;
}

/**
 * RFB FramebufferUpdateRequest (RFC 6143 7.5.3), non-incremental, for the 1x1 pixel at 0,0: the
 * server answers a non-incremental request at once, with one tiny rectangle.
 */
const PROBE = new Uint8Array([3, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
const SAMPLE_MS = 1000;
/** Round trips measured every other sample; a probe unanswered this long is given up. */
const PROBE_EVERY = 2;
const PROBE_TIMEOUT_MS = 5000;
/** A probe waits for a quiet screen (no update for this long) so the next update is its answer… */
const QUIET_MS = 250;
/** …but not forever: on a busy screen it goes anyway, and the estimate may then read low. */
const MAX_PROBE_SKIPS = 3;
const KEEP_RTTS = 5;
/** Xvnc follows its answer with a second, empty update within a few ms: not a frame either. */
const ANSWER_TAIL_MS = 30;

type Flip = (fromQueue?: boolean) => void;

/**
 * Measures frames per second and round-trip time of a connected RFB and reports them every second.
 *
 * noVNC has no public frame or latency API. The least intrusive hook is its Display's `flip()`,
 * which RFB calls exactly once per completed FramebufferUpdate (rfb.js `_framebufferUpdate`);
 * `flip(true)` is the same frame replayed from its render queue and is not counted. The hook
 * wraps that one method on this connection's display (`rfb._display`, a private field: if a noVNC
 * upgrade renames it, the indicator shows no numbers and the viewer works on).
 *
 * Round trip: the browser cannot send WebSocket pings and the proxy has no ping message, so the
 * viewer writes a FramebufferUpdateRequest for one pixel on its own socket (a whole message in one
 * WebSocket frame, so it never splits one of noVNC's; the proxy lets it through in view-only mode
 * too, and it is not input, so it does not count as activity). The time until the next completed
 * update is browser → control plane → agent → VNC server → back, plus encoding and decoding one
 * pixel: what a keystroke's echo costs at the least.
 */
export function watchStats(rfb: RFB, socket: WebSocket, report: (stats: ViewerStats) => void): () => void {
  const display = (rfb as unknown as { _display?: { flip?: Flip } })._display;
  const original = display?.flip;
  if (!display || typeof original !== 'function') return () => undefined;
  let frames = 0;
  // As if a frame had just come: the first update (the whole desktop) is not mistaken for a probe's answer.
  let lastFrameAt = performance.now();
  let probeSentAt: number | undefined;
  let answeredAt = -Infinity;
  let skips = 0;
  let tick = 0;
  const rtts: number[] = [];

  display.flip = function (this: unknown, fromQueue?: boolean) {
    if (!fromQueue) {
      const now = performance.now();
      if (probeSentAt !== undefined) {
        rtts.push(now - probeSentAt);
        if (rtts.length > KEEP_RTTS) rtts.shift();
        probeSentAt = undefined; // the probe's answer: a measurement, not a frame of the desktop
        answeredAt = now;
      } else if (now - answeredAt > ANSWER_TAIL_MS) frames += 1;
      lastFrameAt = now;
    }
    return original.call(this, fromQueue);
  };

  const probe = (now: number) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (probeSentAt !== undefined && now - probeSentAt < PROBE_TIMEOUT_MS) return;
    if (now - lastFrameAt < QUIET_MS && skips < MAX_PROBE_SKIPS) {
      skips += 1;
      return;
    }
    skips = 0;
    probeSentAt = now;
    socket.send(PROBE);
  };

  const timer = setInterval(() => {
    report({ fps: frames, rttMs: median(rtts) });
    frames = 0;
    tick += 1;
    if (tick % PROBE_EVERY === 0) probe(performance.now());
  }, SAMPLE_MS);

  return () => {
    clearInterval(timer);
    display.flip = original;
  };
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]!);
}
