import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import {
  canvasShowsDesktop as showsDesktop,
  copyFromXterm,
  launchChromium,
  pasteIntoXterm,
  statusesUntilConnected,
} from '../support/browser.js';
import { containerName, type RunningAgent } from '@streamspace/agent';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';
import { recordStartupSteps } from '../support/startup-steps.js';
import { execIn, removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';

// Real everything: Chromium from apt driven by playwright-core, the built web UI served by the
// control plane, a Docker agent on podman, the real xterm image.
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const AGENT_ID = `e2e-${process.pid}`;
const PEER_ID = `e2e-peer-${process.pid}`;
// Short heartbeats, so a lost agent's sessions are taken over by its pool within seconds; a pool of
// this file's own, so the agents do not see other test files' containers on the shared engine.
const HEARTBEAT_TIMEOUT = '1500ms';
const AGENT_ENV = { HEARTBEAT_INTERVAL: '500ms', AGENT_POOL: `docker:e2e-${process.pid}` };
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let browser: Browser;
let page: Page;

before(async () => {
  docker = await requireContainerEngine();
  await mkdir(ARTIFACTS, { recursive: true });
  fresh = await PGLITE.fresh();
  cp = await (
    await startTestControlPlane(fresh, { env: { AGENT_HEARTBEAT_TIMEOUT: HEARTBEAT_TIMEOUT } })
  ).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID, { env: AGENT_ENV });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});
after(async () => {
  await browser?.close();
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) for (const id of [AGENT_ID, PEER_ID]) await removeAgentResources(docker, id);
});

const canvasShowsDesktop = () => showsDesktop(page);

test('log in, start xterm from the catalog, watch it reach running, use it in the browser, stop it', async () => {
  await page.goto(cp.url);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  await page.locator('li[data-template=xterm]').waitFor();
  const recorder = await recordStartupSteps(page, 'li[data-template=xterm]');
  await page.click('li[data-template=xterm] button');
  // The state arrives by server-sent events (the page never polls); the card shows the start-up
  // progress, and the viewer opens by itself once the session runs.
  await page.waitForFunction(() => /^#\/view\/[0-9a-f-]{36}$/.test(location.hash), null, { timeout: 60_000 });
  const sessionId = new URL(page.url()).hash.slice('#/view/'.length);
  const steps = await recorder.steps();
  assert.ok(steps.includes('vnc'), `the agent's progress steps were shown with a bar: ${steps.join(' → ')}`);
  assert.deepEqual(
    steps.filter((step) => !['waiting', 'image', 'container', 'vnc'].includes(step)),
    [],
    'only the steps the agent reports',
  );

  await page.waitForFunction(() => document.querySelector('[role=status]')?.textContent === 'connected', null, {
    timeout: 20_000,
  });
  await waitFor('desktop pixels on the canvas', canvasShowsDesktop, 20_000, 100);

  await page.click('.screen canvas');
  await page.keyboard.type('echo streamspace-e2e > /tmp/e2e');
  await page.keyboard.press('Enter');
  const written = await waitFor(
    'the typed command ran in the container',
    async () =>
      (await execIn(docker, containerName(sessionId), 'cat /tmp/e2e 2>/dev/null')).trim() === 'streamspace-e2e',
    15_000,
    200,
  );
  assert.ok(written);
  await page.screenshot({ path: `${ARTIFACTS}viewer.png` });

  // The clipboard both ways, through the viewer's clipboard panel.
  const remoteFile = async (path: string) =>
    (await execIn(docker, containerName(sessionId), `cat ${path} 2>/dev/null`)).trim();
  await pasteIntoXterm(
    page,
    'echo pasted-in-42 > /tmp/paste;',
    async () => (await remoteFile('/tmp/paste')) === 'pasted-in-42',
  );
  await copyFromXterm(page, 'copyme12345');

  await cp.api('PATCH', `/api/v1/sessions/${sessionId}`, { body: { state: 'stopped' } });
  await page.waitForFunction(
    () => /disconnected: session (stopping|stopped)/.test(document.querySelector('[role=status]')?.textContent ?? ''),
    null,
    { timeout: 20_000 },
  );
  assert.ok(await page.getByRole('button', { name: 'Reconnect' }).isVisible(), 'the toolbar stays out with Reconnect');
});

test('the viewer says "agent offline" when the agent goes away and reconnects by itself when it is back', async () => {
  const id = (await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string;
  await waitFor(
    'running',
    async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'running',
    30_000,
  );
  await page.goto(`${cp.url}/#/view/${id}`);
  const status = () => page.locator('[role=status]').textContent();
  await waitFor('connected', async () => (await status()) === 'connected', 20_000, 100);

  await agent.stop();
  await waitFor(
    'agent offline shown',
    async () => (await status())?.startsWith('reconnecting… (agent offline'),
    20_000,
    100,
  );
  agent = await startDockerAgent(cp.url, AGENT_ID, { env: AGENT_ENV });
  await waitFor('reconnected without a click', async () => (await status()) === 'connected', 30_000, 100);
  await waitFor('desktop pixels again', canvasShowsDesktop, 20_000, 100);
  await cp.api('DELETE', `/api/v1/sessions/${id}`);
});

test('the owning agent is lost: the viewer shows reconnecting and repaints from the pool’s other agent, without a click', async () => {
  const id = (await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string;
  await waitFor(
    'running',
    async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'running',
    30_000,
  );
  assert.equal((await cp.api('GET', `/api/v1/sessions/${id}`)).body.agent_id, AGENT_ID);
  const peer = await startDockerAgent(cp.url, PEER_ID, { env: AGENT_ENV });
  try {
    await page.goto(`${cp.url}/#/view/${id}`);
    const status = () => page.locator('[role=status]').textContent();
    await waitFor('connected', async () => (await status()) === 'connected', 20_000, 100);
    await waitFor('desktop pixels', canvasShowsDesktop, 20_000, 100);
    const reconnected = statusesUntilConnected(page, 30_000);
    await agent.stop();
    const statuses = await reconnected;
    assert.ok(
      statuses.some((s) => s.startsWith('reconnecting…')),
      `"reconnecting…" shown while the pool takes over; saw ${JSON.stringify(statuses)}`,
    );
    assert.ok(!statuses.some((s) => s.startsWith('disconnected')), 'never a final close asking for a click');
    await waitFor('desktop pixels from the new owner', canvasShowsDesktop, 20_000, 100);
    assert.equal((await cp.api('GET', `/api/v1/sessions/${id}`)).body.agent_id, PEER_ID);
    await cp.api('DELETE', `/api/v1/sessions/${id}`);
    await waitFor('deleted', async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'deleted');
  } finally {
    agent = await startDockerAgent(cp.url, AGENT_ID, { env: AGENT_ENV });
    await peer.stop();
  }
});

test('the agents page shows the agent online with its sessions', async () => {
  await page.goto(`${cp.url}/#/agents`);
  const row = page.locator(`tr[data-agent="${AGENT_ID}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-status'), 'online');
  assert.match((await row.textContent()) ?? '', /docker/);
});

test('an admin adds a user on the users page, and that user sees no admin links', async () => {
  await page.goto(`${cp.url}/#/users`);
  await page.fill('input[aria-label="New username"]', 'carol');
  await page.fill('input[aria-label="New password"]', 'carol-password');
  await page.click('button:has-text("Add user")');
  await page.locator('tr[data-user=carol]').waitFor();
  const carol = await browser.newPage();
  await carol.goto(cp.url);
  await carol.fill('input[name=username]', 'carol');
  await carol.fill('input[name=password]', 'carol-password');
  await carol.click('button[type=submit]');
  await carol.locator('li[data-template=xterm]').waitFor();
  await carol.getByRole('link', { name: 'My sessions' }).waitFor();
  assert.equal(await carol.getByRole('link', { name: 'Agents' }).count(), 0, 'no admin links');
  await carol.close();
});

test('an admin adds, edits and removes a template on the templates page, and the catalog follows', async () => {
  await page.goto(`${cp.url}/#/templates`);
  // The form opens in a dialog; its fields are labelled (Mantine selects are comboboxes).
  const form = page.getByRole('dialog');
  const field = (name: string) => form.getByRole('textbox', { name, exact: true });
  await page.getByRole('button', { name: 'Add template' }).click();
  await field('Name').fill('gimp');
  await field('Display name').fill('GIMP');
  await field('Image').fill('streamspace/gimp:latest');
  await form.getByRole('button', { name: 'Add template' }).click();
  const row = page.locator('tr[data-template-row=gimp]');
  await row.waitFor();

  await row.getByRole('button', { name: 'Edit gimp' }).click();
  await field('Display name').fill('GIMP image editor');
  await field('Memory (MB)').fill('2048');
  await form.getByRole('switch', { name: 'Persistent home' }).check();
  await form.getByRole('button', { name: 'Save' }).click();
  await row.locator('td', { hasText: 'GIMP image editor' }).waitFor();
  const saved = (await cp.api('GET', '/api/v1/templates/gimp')).body;
  assert.equal(saved.display_name, 'GIMP image editor');
  assert.equal(saved.memory_limit_mb, 2048);
  assert.equal(saved.persistent_home, true);
  assert.equal(saved.image, 'streamspace/gimp:latest', 'fields not edited are kept');

  await page.goto(cp.url);
  await page.locator('li[data-template=gimp]', { hasText: 'GIMP image editor' }).waitFor();
  await page.goto(`${cp.url}/#/templates`);
  await page.getByRole('button', { name: 'Remove gimp' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove template' }).click();
  await page.locator('tr[data-template-row=gimp]').waitFor({ state: 'detached' });
  assert.equal((await cp.api('GET', '/api/v1/templates/gimp')).status, 404);
});

test('a wrong password shows the reason on the login page', async () => {
  const fresh = await browser.newPage();
  await fresh.goto(cp.url);
  await fresh.fill('input[name=username]', 'admin');
  await fresh.fill('input[name=password]', 'not-the-password');
  await fresh.click('button[type=submit]');
  assert.equal(await fresh.locator('[role=alert]').textContent(), 'Invalid username or password');
  await fresh.close();
});
