import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import { canvasShowsDesktop, launchChromium } from '../support/browser.js';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';
import { removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';
import type { RunningAgent } from '@streamspace/agent';

// Real everything, as browser-e2e: Chromium, the built UI, a Docker agent on podman, the xterm image.
const AGENT_ID = `share-e2e-${process.pid}`;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let browser: Browser;

before(async () => {
  docker = await requireContainerEngine();
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID, { env: { AGENT_POOL: `docker:share-e2e-${process.pid}` } });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

/** A fresh browser profile (its own sessionStorage, so its own login) on the app. */
async function signedIn(username: string, url = cp.url): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 750 } })).newPage();
  await page.goto(url);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', `${username}-password`);
  await page.click('button[type=submit]');
  return page;
}

test('the owner shares view-only; a second user opens the link, logs in, sees the desktop with the badge; revoking closes it', async () => {
  const alice = await cp.createUser('alice');
  await cp.createUser('bob');
  const created = await cp.api('POST', '/api/v1/sessions', { token: alice, body: { template: 'xterm' } });
  const sessionId = created.body.id as string;
  await waitFor(
    'running',
    async () => (await cp.api('GET', `/api/v1/sessions/${sessionId}`, { token: alice })).body.state === 'running',
    90_000,
    200,
  );

  const owner = await signedIn('alice');
  await owner.getByRole('link', { name: 'My sessions' }).click();
  const card = owner.locator(`li[data-session="${sessionId}"]`);
  await card.locator('button', { hasText: 'Share' }).click();
  const dialog = owner.getByRole('dialog', { name: 'Share session' });
  await dialog.getByLabel('Mode').selectOption('view');
  await dialog.getByLabel('Expires after').selectOption('1h');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const link = await dialog.getByLabel('Share link').inputValue();
  assert.match(link, new RegExp(`^${cp.url}/#/share/shr_[A-Za-z0-9_-]{43}$`));

  // The guest opens the link signed out: the login page stands in, then the shared desktop opens.
  const guest = await signedIn('bob', link);
  await guest.waitForFunction(() => document.querySelector('[role=status]')?.textContent === 'connected', null, {
    timeout: 30_000,
  });
  assert.equal(new URL(guest.url()).hash, new URL(link).hash, 'back on the share link after logging in');
  assert.match((await guest.locator('[data-share-mode]').textContent()) ?? '', /^view only · alice’s desktop$/);
  await waitFor('desktop pixels on the guest’s canvas', () => canvasShowsDesktop(guest), 20_000, 100);

  // The owner sees who is watching through the share, then revokes it: the guest's viewer closes.
  await waitFor(
    'bob listed as watching',
    async () => ((await dialog.getByLabel('Watching now').first().textContent()) ?? '').includes('bob'),
    20_000,
    200,
  );
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await guest.waitForFunction(
    () => /^disconnected: share revoked by alice/.test(document.querySelector('[role=status]')?.textContent ?? ''),
    null,
    { timeout: 20_000 },
  );
  await cp.api('DELETE', `/api/v1/sessions/${sessionId}`, { token: alice });
});
