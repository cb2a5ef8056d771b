import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { type RunningAgent } from '@streamspace/agent';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { openEvents } from '../support/event-stream.js';
import { waitFor } from '../support/wait-for.js';
import { launchChromium } from '../support/browser.js';
import { ADMIN_PASSWORD } from '../support/control-plane.js';
import { removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';
import { openViewer, runningSession, ticketPath } from '../support/vnc-viewer.js';

// Scaled down: hibernate after 4 s without input, warn 2 s before (half the timeout when a minute
// is more than that), input written at most every 400 ms.
const IDLE = '4s';
const AGENT_ID = `session-idle-${process.pid}`;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;

before(async () => {
  docker = await requireContainerEngine();
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh, { env: { SESSION_IDLE_TIMEOUT: IDLE } })).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID);
});
after(async () => {
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

const session = async (id: string) => (await cp.api('GET', `/api/v1/sessions/${id}`)).body;

test('a session with no input is warned, then hibernated "idle for 4s", and its viewer is told why', async () => {
  const id = await runningSession(cp);
  const events = await openEvents(cp, cp.token!);
  const viewer = await openViewer(cp, await ticketPath(cp, id));
  let closedAt = 0;
  const closed = viewer.closed.then((close) => ((closedAt = Date.now()), close));
  const warned = await events.received(`"session_id":"${id}"`);
  const warnedAt = Date.now();
  const warning = JSON.parse(/event: idle_warning\ndata: (.*)\n/.exec(warned)![1]!) as Record<string, string>;
  assert.equal(warning.reason, 'idle for 4s');
  assert.ok(Date.parse(warning.hibernate_at!) > Date.now(), 'the warning comes before the deadline');
  assert.deepEqual(await closed, { code: 4411, reason: 'session hibernated: idle for 4s' });
  assert.ok(closedAt - warnedAt >= 1000, `warned ${closedAt - warnedAt} ms before the close`);
  await events.cancel();
  await waitFor('hibernated', async () => (await session(id)).state === 'hibernated', 30_000);
  assert.equal((await session(id)).state_reason, 'idle for 4s');
  const audit = await cp.api('GET', `/api/v1/audit?action=session.idle_hibernate&target_id=${id}`);
  assert.equal(audit.body.entries.length, 1, 'one replica, one hibernation entry');
  assert.equal(audit.body.entries[0].actor, 'system');
});

test('pointer input every second keeps a session running past the timeout; the "Keep working" call counts too', async () => {
  const id = await runningSession(cp);
  const viewer = await openViewer(cp, await ticketPath(cp, id));
  let closed = false;
  void viewer.closed.then(() => (closed = true));
  for (let i = 0; i < 10; i++) {
    viewer.point(10 + i, 10);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  assert.equal(closed, false, 'the viewer was closed although it moved the pointer');
  assert.equal((await session(id)).state, 'running');
  // Without input, the button's call alone holds it: the session is still running 3 s later.
  for (let i = 0; i < 3; i++) {
    assert.equal((await cp.api('POST', `/api/v1/sessions/${id}/activity`)).status, 204);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  assert.equal((await session(id)).state, 'running');
  assert.deepEqual(await viewer.closed, { code: 4411, reason: 'session hibernated: idle for 4s' });
});

test("a view-only viewer's input does not count as activity", async () => {
  const id = await runningSession(cp);
  const watcher = await openViewer(cp, await ticketPath(cp, id, 'view'));
  const timer = setInterval(() => watcher.point(5, 5), 500);
  try {
    assert.deepEqual(await watcher.closed, { code: 4411, reason: 'session hibernated: idle for 4s' });
  } finally {
    clearInterval(timer);
  }
});

test('the activity endpoint refuses a hibernated session and other users', async () => {
  const other = await cp.createUser('idle-other');
  const id = await runningSession(cp);
  const refused = await cp.api('POST', `/api/v1/sessions/${id}/activity`, { token: other });
  assert.equal(refused.status, 404);
  await waitFor('hibernated', async () => (await session(id)).state === 'hibernated', 30_000);
  const late = await cp.api('POST', `/api/v1/sessions/${id}/activity`);
  assert.equal(late.status, 409);
  assert.match(late.body.message, /Session is hibernated.*PATCH state running/);
});

test('in Chromium: opening a hibernated session resumes it with start-up progress and connects; "Keep working" holds it off', async () => {
  const id = await runningSession(cp);
  await waitFor('hibernated with no viewer', async () => (await session(id)).state === 'hibernated', 30_000);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(cp.url);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.locator('li[data-template=xterm]').waitFor();
    // Every status and start-up step the viewer shows, as it shows them.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { seen: string[] }).seen = []);
      new MutationObserver(() => {
        const status = document.querySelector('[role=status]')?.textContent ?? '';
        if (status && seen.at(-1) !== status) seen.push(status);
        if (document.querySelector('[aria-label="start-up progress"]') && !seen.includes('progress'))
          seen.push('progress');
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.goto(`${cp.url}/#/view/${id}`);
    await page.waitForFunction(() => document.querySelector('[role=status]')?.textContent === 'connected', null, {
      timeout: 60_000,
    });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    assert.ok(seen.includes('resuming…'), `resumed on open: ${JSON.stringify(seen)}`);
    assert.ok(seen.includes('progress'), `start-up progress shown: ${JSON.stringify(seen)}`);
    assert.equal((await session(id)).state, 'running');
    const keepWorking = page.getByRole('button', { name: 'Keep working' });
    await keepWorking.waitFor({ timeout: 10_000 });
    await keepWorking.click();
    await page.getByRole('alert').waitFor({ state: 'detached' });
    await page.waitForFunction(
      () => document.querySelector('[role=status]')?.textContent === 'disconnected: session hibernated: idle for 4s',
      null,
      { timeout: 20_000 },
    );
    const activity = await cp.cp.database.db
      .selectFrom('sessions')
      .select('last_activity_at')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.ok(activity.last_activity_at, 'the button recorded activity');
  } finally {
    await browser.close();
  }
});
