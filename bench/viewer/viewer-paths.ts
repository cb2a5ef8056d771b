import type { Browser, Page } from 'playwright-core';
import { signIn, viewerStatus } from '@streamspace/test/support/browser';
import type { BenchChild } from '../support/bench-child.js';
import { ADMIN_PASSWORD } from '../support/control-plane-env.js';
import { viewerUrl, type BenchSession } from './bench-sessions.js';
import { openNovncPage } from './novnc-page.js';
import { installProbes } from '@streamspace/test/support/novnc-probes';
import { treeCpuSeconds } from './process-cpu.js';
import type { Websockify } from './websockify.js';

/** noVNC's quality and compression levels, as the viewer's Display panel sets them. */
export interface Encoding {
  quality: number;
  compression: number;
}

/** What a relay did over a window. */
export interface RelayWindow {
  cpuSeconds: number;
  /** Event-loop delay p99 (ms) of the relay's slowest Node process; undefined for websockify. */
  lagP99Ms?: number;
}

/** Measures a relay over a window: start, then end. */
export interface CpuMeter {
  start(): Promise<void>;
  end(): Promise<RelayWindow>;
}

/** One way from Chromium to a session's Xvnc. */
export interface ViewerPath {
  name: string;
  /** Which processes relay the stream (the CPU column's label). */
  relayName: string;
  relayCpu: CpuMeter;
  /** A new page (its own browser context) showing `session`, connected; its probes installed. */
  open(browser: Browser, session: BenchSession, encoding: Encoding): Promise<Page>;
}

export const VIEWPORT = { width: 1280, height: 800 };

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript(installProbes);
  return context.newPage();
}

/**
 * Bench children as each measures itself (support/process-window.ts): CPU summed, and the worst
 * event-loop delay, since a stalled loop holds every byte of the stream.
 */
export function childMeter(...children: BenchChild[]): CpuMeter {
  return {
    start: async () => void (await Promise.all(children.map((c) => c.windowStart()))),
    end: async () => {
      const stats = await Promise.all(children.map((c) => c.windowEnd()));
      return {
        cpuSeconds: stats.reduce((sum, s) => sum + s.cpuSeconds, 0),
        lagP99Ms: Math.max(...stats.map((s) => s.lagP99Ms)),
      };
    },
  };
}

/** The baseline: the minimal noVNC page → websockify → Xvnc, with the session's VNC password. */
export function directPath(proxies: Map<string, Websockify>): ViewerPath {
  let before: number[] = [];
  return {
    name: 'noVNC page → websockify → Xvnc (direct)',
    relayName: 'websockify',
    relayCpu: {
      // Each session has its own websockify: the meter reads them all.
      start: async () => void (before = [...proxies.values()].map((p) => treeCpuSeconds(p.child.pid!))),
      end: async () => ({
        cpuSeconds: [...proxies.values()].reduce((sum, p, i) => sum + treeCpuSeconds(p.child.pid!) - before[i]!, 0),
      }),
    },
    async open(browser, session, encoding) {
      const proxy = proxies.get(session.id)!;
      const page = await newPage(browser);
      await openNovncPage(page, `http://127.0.0.1:${proxy.port}`, {
        url: `ws://127.0.0.1:${proxy.port}/`,
        password: session.password,
        ...encoding,
      });
      return page;
    },
  };
}
/** The same minimal page through the control plane's /vnc/{session_id} with a ticket. */
export function minimalPagePath(cp: BenchChild, token: string, relayName: string): ViewerPath {
  return {
    name: 'noVNC page → StreamSpace all-in-one → Xvnc',
    relayName,
    relayCpu: childMeter(cp),
    async open(browser, session, encoding) {
      const page = await newPage(browser);
      await openNovncPage(page, cp.url, { url: await viewerUrl(cp.url, token, session.id), ...encoding });
      return page;
    },
  };
}

/**
 * What a user opens: the web UI's viewer page (#/view/{id}) after signing in, with the Display
 * panel's settings as remembered in the browser. Scaling is 1:1 so the desktop keeps the size every
 * path shows (remote resize would give it the page's size, which differs by nothing here but is
 * one more thing to keep equal).
 */
export function viewerPagePath(cp: BenchChild, mode: string, relay: { name: string; cpu: CpuMeter }): ViewerPath {
  return {
    name: `StreamSpace viewer page → StreamSpace ${mode} → Xvnc`,
    relayName: relay.name,
    relayCpu: relay.cpu,
    async open(browser, session, encoding) {
      const page = await newPage(browser);
      await page
        .context()
        .addInitScript(
          (settings) => localStorage.setItem('streamspace-viewer-settings', settings),
          JSON.stringify({ scaling: 'one-to-one', ...encoding }),
        );
      await signIn(page, cp.url, 'admin', ADMIN_PASSWORD);
      await page.goto(`${cp.url}/#/view/${session.id}`);
      await viewerStatus(page, 'connected');
      return page;
    },
  };
}
