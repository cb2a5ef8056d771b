import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import { containerName, type RunningAgent } from '@streamspace/agent';
import {
  canvasShowsDesktop,
  copyFromXterm,
  launchChromium,
  pasteIntoXterm,
  showViewerToolbar,
  signIn,
  statusesUntilConnected,
  viewerStatus,
} from '../support/browser.js';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { screenshot, seriousAccessibilityViolations, VIEWPORTS } from '../support/page-checks.js';
import { execIn, removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';
import { runningSession } from '../support/vnc-viewer.js';
import { waitFor } from '../support/wait-for.js';

// The viewer against a real session: Chromium, the built web UI, a Docker agent on podman, the
// xterm image. What the remote does is read back from the container (podman exec).
const AGENT_ID = `viewer-toolbar-${process.pid}`;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let browser: Browser;
let sessionId: string;

before(async () => {
  docker = await requireContainerEngine();
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID, { env: { AGENT_POOL: `docker:viewer-toolbar-${process.pid}` } });
  browser = await launchChromium();
  sessionId = await runningSession(cp);
});
after(async () => {
  await browser?.close();
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

/** A file in the session's container, '' while it does not exist. */
const remoteFile = async (path: string) =>
  (await execIn(docker, containerName(sessionId), `cat ${path} 2>/dev/null`)).trim();

/** Types a shell command into whatever has the keyboard and waits until `path` holds `expected`. */
async function runInRemote(page: Page, command: string, path: string, expected: string) {
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  await waitFor(`${path} holds ${expected}`, async () => (await remoteFile(path)) === expected, 15_000, 200);
}

async function openViewer(page: Page) {
  await signIn(page, cp.url, 'admin', ADMIN_PASSWORD);
  await page.goto(`${cp.url}/#/view/${sessionId}`);
  await viewerStatus(page, 'connected');
  await waitFor('desktop pixels on the canvas', () => canvasShowsDesktop(page), 20_000, 100);
}

const canvasSize = (page: Page) =>
  page.evaluate(() => {
    const canvas = document.querySelector('.screen canvas') as HTMLCanvasElement;
    const box = canvas.getBoundingClientRect();
    return { width: canvas.width, height: canvas.height, shownWidth: Math.round(box.width) };
  });

async function chooseScaling(page: Page, label: 'Fit' | '1:1' | 'Remote resize') {
  const toolbar = await showViewerToolbar(page);
  await toolbar.getByRole('button', { name: 'Display' }).click();
  await page.locator('[data-viewer-panel=display] label', { hasText: label }).click();
  await page.keyboard.press('Escape');
}

test('desktop: types without a click, toolbar by keyboard with visible focus, clipboard both ways, keys, quality, scaling, reconnect, disconnect', async (t) => {
  // bypassCSP: the UI's CSP (script-src 'self') would refuse the axe-core script the check injects.
  const page = await browser.newPage({ viewport: VIEWPORTS.desktop, bypassCSP: true });
  await openViewer(page);

  // The remote screen has the keyboard as soon as it connects: no click anywhere first.
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'CANVAS');
  await runInRemote(page, 'echo typed-without-click > /tmp/typed', '/tmp/typed', 'typed-without-click');
  assert.equal(await page.locator('[role=toolbar][data-shown]').count(), 0, 'the toolbar hides while connected');

  // F8 brings the toolbar out from the remote screen and focuses its first control, visibly.
  await page.keyboard.press('F8');
  await page.waitForSelector('[role=toolbar][data-shown]');
  const focus = await page.evaluate(() => {
    const active = document.activeElement as HTMLElement;
    const style = getComputedStyle(active);
    return {
      name: active.getAttribute('aria-label'),
      visible: active.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    };
  });
  assert.deepEqual(focus, { name: 'Clipboard', visible: true }, 'the first control has a visible focus ring');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Send keys');
  // Escape gives the keyboard back to the remote.
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'CANVAS');

  // Clipboard to the remote (with axe checking the toolbar and the open panel), and back.
  const toolbar = await showViewerToolbar(page);
  await toolbar.getByRole('button', { name: 'Clipboard' }).click();
  await page.getByRole('textbox', { name: 'Clipboard' }).fill('some text');
  assert.deepEqual(await seriousAccessibilityViolations(page), [], 'axe: toolbar and clipboard panel');
  await page.getByRole('button', { name: 'Send to remote' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'CANVAS', 'sending gives the keyboard back');
  await pasteIntoXterm(
    page,
    'echo pasted-in-77 > /tmp/paste;',
    async () => (await remoteFile('/tmp/paste')) === 'pasted-in-77',
  );
  await copyFromXterm(page, 'copyme777');

  // Send keys: xterm turns Ctrl+Esc into ESC and Ctrl+Alt+Del into Delete with modifiers (CSI 3;7~);
  // the shell reads the bytes it gets and writes them out in hex.
  await page.locator('.screen canvas').click({ position: { x: 300, y: 300 } });
  for (const [combo, expected] of [
    ['Ctrl+Esc', /^1b$/],
    ['Ctrl+Alt+Del', /^1b5b333b377e$/],
  ] as const) {
    await page.keyboard.press('Control+C');
    await page.keyboard.type(
      `rm -f /tmp/key; IFS= read -rsn1 k; IFS= read -rsn5 -t1 r; printf '%s' "$k$r" | od -An -tx1 | tr -d ' \\n' > /tmp/key`,
    );
    await page.keyboard.press('Enter');
    const bar = await showViewerToolbar(page);
    await bar.getByRole('button', { name: 'Send keys' }).click();
    await page.getByRole('button', { name: `Send ${combo}` }).click();
    const got = await waitFor(`${combo} reached the remote`, () => remoteFile('/tmp/key'), 15_000, 200);
    assert.match(got, expected, `${combo} arrived as ${got}`);
  }

  // The connection indicator measures once connected: a round trip in ms and frames per second.
  const measured = await waitFor(
    'round trip and fps shown',
    async () => {
      const text = (await page.locator('.viewer-stats').textContent()) ?? '';
      // Once measured and with nothing moving on the desktop: no frames, the probes not counted.
      return /^\d+ ms · 0 fps$/.test(text) && text;
    },
    20_000,
    250,
  );
  t.diagnostic(`viewer indicator at rest: ${measured}`);

  // Quality and compression change live: no reconnect, the remote still takes commands, and the
  // choice is remembered in this browser.
  await page.evaluate(() => {
    const seen: string[] = ((window as unknown as { statusesSeen: string[] }).statusesSeen = []);
    const el = document.querySelector('[role=status]')!;
    new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, {
      subtree: true,
      childList: true,
      characterData: true,
    });
  });
  const bar = await showViewerToolbar(page);
  await bar.getByRole('button', { name: 'Display' }).click();
  // The default quality is 4 (viewer-settings.ts): two steps down.
  assert.equal(await page.getByText(/^Quality: \d$/).textContent(), 'Quality: 4', 'the default quality');
  await page.getByRole('slider', { name: 'Quality' }).focus();
  for (let i = 0; i < 2; i += 1) await page.keyboard.press('ArrowLeft');
  await page.getByRole('slider', { name: 'Compression' }).focus();
  await page.keyboard.press('End');
  assert.deepEqual(JSON.parse((await page.evaluate(() => localStorage.getItem('streamspace-viewer-settings')))!), {
    scaling: 'remote',
    quality: 2,
    compression: 9,
  });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await runInRemote(page, 'echo after-quality > /tmp/quality', '/tmp/quality', 'after-quality');
  assert.deepEqual(await page.evaluate(() => (window as unknown as { statusesSeen: string[] }).statusesSeen), []);
  await page.reload();
  await viewerStatus(page, 'connected');
  await (await showViewerToolbar(page)).getByRole('button', { name: 'Display' }).click();
  assert.equal(await page.getByText(/^Quality: \d$/).textContent(), 'Quality: 2', 'remembered across a reload');
  await page.keyboard.press('Escape');

  // Scaling. Remote resize: the remote desktop takes the window's size.
  await page.setViewportSize({ width: 1000, height: 700 });
  await waitFor(
    'the remote resized to the window',
    async () => {
      const size = await canvasSize(page);
      return size.width === 1000 && size.height === 700;
    },
    15_000,
    200,
  );
  // 1:1: the desktop keeps its size whatever the window; one remote pixel per CSS pixel.
  await chooseScaling(page, '1:1');
  await page.setViewportSize({ width: 800, height: 600 });
  const oneToOne = await canvasSize(page);
  assert.deepEqual(oneToOne, { width: 1000, height: 700, shownWidth: 1000 });
  // Fit: the same desktop scaled down into the window.
  await chooseScaling(page, 'Fit');
  const fit = await waitFor(
    'the desktop scaled to fit',
    async () => {
      const size = await canvasSize(page);
      return size.shownWidth <= 800 && size.shownWidth < size.width && size;
    },
    10_000,
    100,
  );
  assert.equal(fit.width, 1000, 'fit does not resize the remote');
  await chooseScaling(page, 'Remote resize');
  await page.setViewportSize(VIEWPORTS.desktop);
  await waitFor('the remote back at the window size', async () => (await canvasSize(page)).width === 1280, 15_000, 200);

  // Reconnect: a new connection, then the keyboard is the remote's again without a click.
  const statuses = statusesUntilConnected(page, 30_000);
  await (await showViewerToolbar(page)).getByRole('button', { name: 'Reconnect' }).click();
  assert.ok((await statuses).includes('connecting…'), 'it went through connecting');
  await runInRemote(page, 'echo after-reconnect > /tmp/reconnect', '/tmp/reconnect', 'after-reconnect');

  await showViewerToolbar(page);
  await page.keyboard.press('F8');
  assert.deepEqual(await seriousAccessibilityViolations(page), [], 'axe: viewer with its toolbar out');
  await screenshot(page, 'viewer-desktop');

  // Fullscreen: the whole viewer goes fullscreen, and its panels still show there.
  await page.getByRole('button', { name: 'Fullscreen' }).click();
  await page.waitForFunction(() => document.fullscreenElement?.matches('.viewer-page'));
  await page.getByRole('button', { name: 'Clipboard' }).click();
  assert.ok(
    await page.evaluate(() => document.fullscreenElement!.contains(document.querySelector('[data-viewer-panel]'))),
    'the panel is inside the fullscreen element',
  );
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Exit fullscreen' }).click();
  await page.waitForFunction(() => document.fullscreenElement === null);

  // Disconnect: back to the sessions page.
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.waitForFunction(() => location.hash === '#/');
  assert.equal(await page.locator('.screen canvas').count(), 0);
  await page.close();
});

test('phone (390x844, touch): the toolbar comes out with a tap, its panels fit, typing reaches the remote', async () => {
  const context = await browser.newContext({
    viewport: VIEWPORTS.phone,
    hasTouch: true,
    isMobile: true,
    bypassCSP: true,
  });
  const page = await context.newPage();
  try {
    await openViewer(page);
    await runInRemote(page, 'echo phone-typed > /tmp/phone', '/tmp/phone', 'phone-typed');
    await page.getByRole('button', { name: 'Show toolbar' }).tap();
    const toolbar = page.getByRole('toolbar', { name: 'Viewer controls' });
    await page.waitForSelector('[role=toolbar][data-shown]');
    const bar = (await toolbar.boundingBox())!;
    assert.ok(
      bar.x >= 0 && bar.x + bar.width <= VIEWPORTS.phone.width,
      `the toolbar fits the phone: ${JSON.stringify(bar)}`,
    );
    await toolbar.getByRole('button', { name: 'Clipboard' }).tap();
    const panel = (await page.locator('[data-viewer-panel=clipboard]').boundingBox())!;
    assert.ok(
      panel.x >= 0 && panel.x + panel.width <= VIEWPORTS.phone.width,
      `the panel fits: ${JSON.stringify(panel)}`,
    );
    assert.deepEqual(await seriousAccessibilityViolations(page), [], 'axe: phone viewer with a panel open');
    await screenshot(page, 'viewer-phone');
    // A tap on the remote screen closes the panel and hides the toolbar again.
    await page.locator('.screen canvas').tap({ position: { x: 200, y: 500 } });
    await page.locator('[data-viewer-panel=clipboard]').waitFor({ state: 'detached' });
    await page.locator('[role=toolbar][data-shown]').waitFor({ state: 'detached' });
    // Typing from a touch screen: a text field (which brings up the on-screen keyboard) sends each
    // character to the remote as it is typed, and Enter.
    await page.getByRole('button', { name: 'Show toolbar' }).tap();
    await toolbar.getByRole('button', { name: 'Type' }).tap();
    const typing = page.getByRole('textbox', { name: 'Type to the remote' });
    await typing.fill('echo touch-typed > /tmp/touch');
    await typing.press('Enter');
    await waitFor('typed from the phone', async () => (await remoteFile('/tmp/touch')) === 'touch-typed', 15_000, 200);
  } finally {
    await context.close();
  }
});
