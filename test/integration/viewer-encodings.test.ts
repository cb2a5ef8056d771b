import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import type { RunningAgent } from '@streamspace/agent';
import { launchChromium, showViewerToolbar, signIn, viewerStatus } from '../support/browser.js';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { installProbes, readCounts } from '../support/novnc-probes.js';
import { removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';
import { runningSession } from '../support/vnc-viewer.js';

// The viewer's quality level reaches the VNC server live: Chromium shows a session of the
// viewer-bench image (xscreensaver's interference: every pixel redrawn each frame in many colours, so Tight sends JPEG),
// through the control plane and a Docker agent, and the bytes arriving on the viewer's WebSocket
// fall when the Display panel's quality slider is lowered, on the same connection.
const IMAGE = 'streamspace/viewer-bench:latest';
const AGENT_ID = `viewer-encodings-${process.pid}`;
/** Long enough for tens of frames at any level; the first second after a change is left out. */
const WINDOW_MS = 3000;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let browser: Browser;
let sessionId: string;

before(async () => {
  docker = await requireContainerEngine([IMAGE]);
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID, { env: { AGENT_POOL: `docker:viewer-encodings-${process.pid}` } });
  const template = await cp.api('POST', '/api/v1/templates', {
    body: { name: 'viewer-bench', display_name: 'Viewer bench', image: IMAGE, platform: 'docker', cpu_limit: 1 },
  });
  assert.equal(template.status, 201, JSON.stringify(template.body));
  browser = await launchChromium();
  sessionId = await runningSession(cp, 'viewer-bench');
});
after(async () => {
  await browser?.close();
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

/** Bytes per second and frames per second the viewer received over the next window. */
async function rates(page: Page) {
  const before = await readCounts(page);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const after = await readCounts(page);
  const seconds = (performance.now() - started) / 1000;
  return { bytesPerSecond: (after.bytes - before.bytes) / seconds, fps: (after.frames - before.frames) / seconds };
}

async function setQuality(page: Page, quality: number) {
  await (await showViewerToolbar(page)).getByRole('button', { name: 'Display' }).click();
  const slider = page.getByRole('slider', { name: 'Quality' });
  await slider.focus();
  await page.keyboard.press(quality === 0 ? 'Home' : 'End');
  assert.equal(await page.getByText(/^Quality: \d$/).textContent(), `Quality: ${quality}`);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  // Frames already encoded at the old level are still arriving for a moment.
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

test('lowering the quality in the Display panel cuts the bytes per second on the live connection', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(installProbes);
  const page = await context.newPage();
  try {
    await signIn(page, cp.url, 'admin', ADMIN_PASSWORD);
    await page.goto(`${cp.url}/#/view/${sessionId}`);
    await viewerStatus(page, 'connected');
    await setQuality(page, 9);
    const high = await rates(page);
    await setQuality(page, 0);
    const low = await rates(page);
    t.diagnostic(
      `quality 9: ${Math.round(high.bytesPerSecond / 1024)} KiB/s at ${high.fps.toFixed(1)} fps; ` +
        `quality 0: ${Math.round(low.bytesPerSecond / 1024)} KiB/s at ${low.fps.toFixed(1)} fps`,
    );
    assert.ok(high.fps > 1 && low.fps > 1, 'the desktop was redrawing at both levels');
    // Per frame, so a machine too loaded to keep the frame rate still shows what the level does.
    const perFrame = (r: typeof high) => r.bytesPerSecond / r.fps;
    assert.ok(
      perFrame(low) < perFrame(high) / 2 && low.bytesPerSecond < high.bytesPerSecond,
      `quality 0 should send far fewer bytes than 9: ${JSON.stringify({ high, low })}`,
    );
    assert.equal(await page.locator('[role=status]').textContent(), 'connected', 'no reconnect');
    assert.equal((await readCounts(page)).sockets, 1, 'the change went over the one connection opened');
  } finally {
    await context.close();
  }
});
