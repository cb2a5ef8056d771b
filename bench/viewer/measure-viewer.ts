import type { Browser } from 'playwright-core';
import type { BenchSession } from './bench-sessions.js';
import { readCounts, timeEcho } from '@streamspace/test/support/novnc-probes';
import { findDescendant, treeCpuSeconds } from './process-cpu.js';
import type { Encoding, ViewerPath } from './viewer-paths.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Shares of one core (1.0 = a whole core) over a window. */
export interface CpuShares {
  relay: number;
  chromium: number;
  xvnc: number;
}

export interface FlowResult {
  fps: number;
  bytesPerSecond: number;
  cpu: CpuShares;
  /** The relay's event-loop delay p99, ms (Node relays only). */
  relayLagP99Ms?: number;
}

/** What a flow window needs besides the path: how long, and whose CPU. */
export interface FlowSetup {
  browser: Browser;
  chromiumPid: number;
  warmupMs: number;
  windowMs: number;
}

/**
 * Opens the redrawing session on `path`, lets the stream settle (the first full-screen update, the
 * encoder's first quality step), then counts frames drawn and bytes received over the window while
 * reading each hop's CPU: the relay's, Chromium's (all its processes) and the session's Xvnc.
 */
export async function measureFlow(
  setup: FlowSetup,
  path: ViewerPath,
  session: BenchSession,
  encoding: Encoding,
): Promise<FlowResult> {
  const page = await path.open(setup.browser, session, encoding);
  try {
    const xvnc = findDescendant(session.pid, 'Xvnc');
    if (xvnc === undefined) throw new Error(`no Xvnc under the session's container (pid ${session.pid})`);
    await sleep(setup.warmupMs);
    const counts = await readCounts(page);
    await path.relayCpu.start();
    const chromium = treeCpuSeconds(setup.chromiumPid);
    const server = treeCpuSeconds(xvnc);
    const started = performance.now();
    await sleep(setup.windowMs);
    const after = await readCounts(page);
    const relay = await path.relayCpu.end();
    const seconds = (performance.now() - started) / 1000;
    return {
      fps: (after.frames - counts.frames) / seconds,
      bytesPerSecond: (after.bytes - counts.bytes) / seconds,
      cpu: {
        relay: relay.cpuSeconds / seconds,
        chromium: (treeCpuSeconds(setup.chromiumPid) - chromium) / seconds,
        xvnc: (treeCpuSeconds(xvnc) - server) / seconds,
      },
      relayLagP99Ms: relay.lagP99Ms,
    };
  } finally {
    await page.context().close();
  }
}

/**
 * Key press to echoed glyph on the canvas, `presses` times on the xterm session, a few warm-up
 * presses first (the first glyphs load the font into Xvnc's and noVNC's caches). Presses are spaced
 * by a random 30-90 ms so they do not fall in step with any timer on the path; each waits for the
 * previous echo, so they never queue. Ctrl+U clears the typed line afterwards.
 */
export async function measureEcho(
  browser: Browser,
  path: ViewerPath,
  session: BenchSession,
  encoding: Encoding,
  presses: number,
): Promise<number[]> {
  const page = await path.open(browser, session, encoding);
  try {
    // The first full-screen update and the prompt have arrived before the first press.
    await sleep(1000);
    const samples: number[] = [];
    for (let i = 0; i < presses + 5; i++) {
      const ms = await timeEcho(page, 'x');
      if (i >= 5) samples.push(ms);
      await sleep(30 + Math.random() * 60);
    }
    await page.keyboard.press('Control+U');
    return samples;
  } finally {
    await page.context().close();
  }
}
