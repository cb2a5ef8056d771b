import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import { containerName, type RunningAgent } from '@streamspace/agent';
import { launchChromium, showViewerToolbar, signIn } from '../support/browser.js';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';
import { execIn, removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';
import { screenshot, seriousAccessibilityViolations } from '../support/page-checks.js';

// The viewer's file panel in real Chromium against a real session (issue 15): a file dropped on the
// remote screen lands in the session's home; a click on a file downloads it.
const AGENT_ID = `files-browser-${process.pid}`;
const DROPPED_SIZE = 3 * 1024 * 1024;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let browser: Browser;
let sessionId: string;
let page: Page;

/** The bytes the page drops: the same pattern is made in the page and here. */
const pattern = (size: number) => Buffer.from(Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 10)) % 251));

before(async () => {
  docker = await requireContainerEngine();
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh, { env: { SESSION_UPLOAD_MAX: '4MiB' } })).loginAsAdmin();
  const alice = await cp.createUser('alice');
  agent = await startDockerAgent(cp.url, AGENT_ID, { env: { AGENT_POOL: `docker:files-browser-${process.pid}` } });
  const created = await cp.api('POST', '/api/v1/sessions', { token: alice, body: { template: 'xterm' } });
  sessionId = created.body.id as string;
  await waitFor(
    'running',
    async () => (await cp.api('GET', `/api/v1/sessions/${sessionId}`, { token: alice })).body.state === 'running',
    90_000,
    200,
  );
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true })).newPage();
  await signIn(page, cp.url, 'alice', 'alice-password');
  await page.goto(`${cp.url}/#/view/${sessionId}`);
  await page.waitForFunction(() => document.querySelector('[role=status]')?.textContent === 'connected', null, {
    timeout: 30_000,
  });
});
after(async () => {
  await browser?.close();
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

/** Drops files made in the page onto the remote screen, as a drag from the desktop does. */
async function dropOnScreen(files: Array<{ name: string; size: number }>) {
  const transfer = await page.evaluateHandle((specs) => {
    const data = new DataTransfer();
    for (const { name, size } of specs) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 10)) % 251);
      data.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
    }
    return data;
  }, files);
  const screen = page.locator('.screen');
  await screen.dispatchEvent('dragenter', { dataTransfer: transfer });
  await screen.dispatchEvent('dragover', { dataTransfer: transfer });
  await screen.dispatchEvent('drop', { dataTransfer: transfer });
}

test('a file dropped on the remote screen is uploaded into the home, with progress, owned by uid 1000', async () => {
  const panel = page.getByRole('complementary', { name: 'Files' });
  await (await showViewerToolbar(page)).getByRole('button', { name: 'Files', exact: true }).click();
  await panel.getByRole('button', { name: 'Download .bashrc' }).waitFor();
  await dropOnScreen([{ name: 'dropped.bin', size: DROPPED_SIZE }]);
  const row = panel.getByRole('listitem', { name: 'upload dropped.bin' });
  await row.getByText(/dropped\.bin — done/).waitFor({ timeout: 30_000 });
  await panel.getByRole('button', { name: 'Download dropped.bin' }).waitFor();
  const inside = await execIn(
    docker,
    containerName(sessionId),
    'stat -c "%u %g %s" dropped.bin; sha256sum dropped.bin',
  );
  const sha = createHash('sha256').update(pattern(DROPPED_SIZE)).digest('hex');
  assert.deepEqual(inside.trim().split('\n'), [`1000 1000 ${DROPPED_SIZE}`, `${sha}  dropped.bin`]);
  assert.deepEqual(await seriousAccessibilityViolations(page), []);
  await screenshot(page, 'files-panel');
});

test('a click on a file made in the session downloads it', async () => {
  await execIn(
    docker,
    containerName(sessionId),
    'mkdir -p Documents && printf "made in the session\\n" > Documents/note.txt',
  );
  const panel = page.getByRole('complementary', { name: 'Files' });
  await panel.getByRole('button', { name: 'Refresh' }).click();
  await panel.getByRole('button', { name: 'Open Documents' }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByRole('button', { name: 'Download note.txt' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'note.txt');
  assert.equal(await readFile((await download.path())!, 'utf8'), 'made in the session\n');
  // The browser itself fetched a single-use link (streamed to disk), not the page into a Blob.
  assert.match(download.url(), new RegExp(`^${cp.url}/api/v1/files/download/[A-Za-z0-9_-]{43}$`));
  await panel
    .getByRole('listitem', { name: 'download note.txt' })
    .getByText(/note\.txt — Download started/)
    .waitFor();
  assert.equal((await fetch(download.url())).status, 404, 'the link worked once');
  await panel.getByRole('button', { name: 'Up one folder' }).click();
  await panel.getByRole('button', { name: 'Open Documents' }).waitFor();
});

test('a larger binary file downloads through the panel byte for byte, audited as a link download', async () => {
  const panel = page.getByRole('complementary', { name: 'Files' });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByRole('button', { name: 'Download dropped.bin' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'dropped.bin');
  const saved = await readFile((await download.path())!);
  assert.equal(saved.length, DROPPED_SIZE);
  assert.ok(saved.equals(pattern(DROPPED_SIZE)));
  const audited = await waitFor('the download audited', async () => {
    const rows = await cp.cp.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'session.file_download')
      .where('target_id', '=', sessionId)
      .execute();
    return rows.find((r) => r.details.path === '/home/user/dropped.bin');
  });
  assert.deepEqual(
    { via: audited.details.via, completed: audited.details.completed, actor: audited.actor },
    { via: 'link', completed: true, actor: 'alice' },
  );
});

test('a file over SESSION_UPLOAD_MAX is refused in words, and nothing is sent', async () => {
  const panel = page.getByRole('complementary', { name: 'Files' });
  await dropOnScreen([{ name: 'too-big.bin', size: 5 * 1024 * 1024 }]);
  const row = panel.getByRole('listitem', { name: 'upload too-big.bin' });
  assert.match(
    (await row.getByRole('alert').textContent()) ?? '',
    /^Too large: too-big\.bin is 5\.0 MiB, more than the 4\.0 MiB a session accepts$/,
  );
  const names = await execIn(docker, containerName(sessionId), 'ls -A');
  assert.ok(!names.includes('too-big'), names);
});
