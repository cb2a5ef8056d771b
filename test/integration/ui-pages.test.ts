import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningAgent } from '@streamspace/agent';
import { launchChromium } from '../support/browser.js';
import { recordStartupSteps } from '../support/startup-steps.js';
import { screenshot, seriousAccessibilityViolations, VIEWPORTS } from '../support/page-checks.js';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';
import { removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';

// The pages this UI owns (login, apps, my sessions, account) in real Chromium at a laptop's and a
// phone's size: axe finds no serious or critical violation, the keyboard reaches the navigation
// with a visible focus ring, and the catalog starts a REAL session (podman, the xterm image) with
// its progress on the card, then opens the viewer; a broken app's failure stays on its card.
const AGENT_ID = `ui-pages-${process.pid}`;
const REGION = 'eu-test';
const USER = 'dana';
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let browser: Browser;
let danaToken: string;

before(async () => {
  docker = await requireContainerEngine();
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID, {
    env: { AGENT_POOL: `docker:ui-pages-${process.pid}`, REGION },
  });
  danaToken = await cp.createUser(USER);
  // One session at a time, so a second start meets the quota and its message.
  const users = (await cp.api('GET', '/api/v1/users')).body as Array<{ id: string; username: string }>;
  const dana = users.find((u) => u.username === USER)!;
  assert.equal((await cp.api('PATCH', `/api/v1/users/${dana.id}`, { body: { max_sessions: 1 } })).status, 200);
  // An app whose image exists nowhere (no registry listens on port 1): its start fails on the agent.
  const created = await cp.api('POST', '/api/v1/templates', {
    body: {
      name: 'broken-app',
      display_name: 'Broken app',
      description: 'An app whose image is missing',
      image: 'localhost:1/streamspace/missing:latest',
      category: 'Testing',
      tags: ['broken'],
      icon: 'app',
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

async function newPage(viewport: keyof typeof VIEWPORTS): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORTS[viewport] });
  return { context, page: await context.newPage() };
}

async function logIn(page: Page) {
  await page.goto(cp.url);
  await page.locator('input[name=username]').fill(USER);
  await page.locator('input[name=password]').fill(`${USER}-password`);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('li[data-template=xterm]').waitFor();
}

async function assertAccessible(page: Page, what: string) {
  assert.deepEqual(await seriousAccessibilityViolations(page), [], `${what}: no serious or critical axe violation`);
}

const cards = (page: Page) => page.locator('li[data-template]');

for (const viewport of ['desktop', 'phone'] as const) {
  test(`${viewport}: login, apps, my sessions and account pass axe, with screenshots`, async () => {
    const { context, page } = await newPage(viewport);
    try {
      await page.goto(cp.url);
      await page.getByRole('button', { name: 'Log in' }).waitFor();
      await assertAccessible(page, 'login');
      await screenshot(page, `login-${viewport}`);

      await logIn(page);
      await page.locator('img[src="/icons/terminal.svg"]').first().waitFor();
      await assertAccessible(page, 'apps');
      await screenshot(page, `apps-${viewport}`);

      if (viewport === 'phone') {
        // The navigation hides behind the burger; the drawer holds it.
        assert.equal(await page.getByRole('link', { name: 'My sessions' }).count(), 0, 'no nav bar on a phone');
        await page.getByRole('button', { name: 'Navigation' }).click();
        await page.getByRole('dialog').getByRole('link', { name: 'My sessions' }).waitFor();
        await assertAccessible(page, 'navigation drawer');
        await screenshot(page, 'navigation-phone');
      }
      await page.getByRole('link', { name: 'My sessions' }).click();
      await page.getByRole('heading', { name: 'My sessions' }).waitFor();
      await page.locator('li[data-session], [data-empty-state]').first().waitFor();
      await assertAccessible(page, 'my sessions');
      await screenshot(page, `sessions-${viewport}`);

      await page.getByRole('button', { name: 'User menu' }).click();
      await page.getByRole('menuitem', { name: 'Account' }).click();
      await page.getByRole('heading', { name: `Profile of ${USER} (user)` }).waitFor();
      await page.getByRole('button', { name: 'Set up two-factor authentication' }).waitFor();
      await assertAccessible(page, 'account');
      await screenshot(page, `account-${viewport}`);

      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= VIEWPORTS[viewport].width, `no sideways scrolling at ${viewport} size (page is ${width} px)`);
    } finally {
      await context.close();
    }
  });
}

test('dark theme: the apps page passes axe in the dark colour scheme too', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, colorScheme: 'dark' });
  try {
    const page = await context.newPage();
    await logIn(page);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.mantineColorScheme), 'dark');
    await page.locator('img[src="/icons/terminal.svg"]').first().waitFor();
    await assertAccessible(page, 'apps, dark');
    await screenshot(page, 'apps-dark-desktop');
  } finally {
    await context.close();
  }
});

test('keyboard: Tab reaches the navigation and the user menu, each with a visible focus ring', async () => {
  const { context, page } = await newPage('desktop');
  try {
    await logIn(page);
    const focusLook = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const style = getComputedStyle(el);
        return {
          name: el.getAttribute('aria-label') ?? el.textContent?.trim() ?? '',
          inNav: el.closest('nav[aria-label=Main]') !== null,
          ring: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} | ${style.boxShadow}`,
        };
      });
    const reached: Array<{ name: string; inNav: boolean; ring: string }> = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push(await focusLook());
    }
    const nav = reached.find((r) => r.inNav && r.name === 'My sessions');
    const menu = reached.find((r) => r.name.startsWith('User menu'));
    assert.ok(nav, `Tab reaches the navigation: ${JSON.stringify(reached.map((r) => r.name))}`);
    assert.ok(menu, `Tab reaches the user menu: ${JSON.stringify(reached.map((r) => r.name))}`);

    // The same elements unfocused: the ring is what focus adds.
    const unfocused = (name: string) =>
      page.evaluate((label) => {
        (document.activeElement as HTMLElement).blur();
        const el = Array.from(document.querySelectorAll<HTMLElement>('a, button')).find(
          (e) => (e.getAttribute('aria-label') ?? e.textContent?.trim()) === label,
        )!;
        const style = getComputedStyle(el);
        return `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} | ${style.boxShadow}`;
      }, name);
    for (const focused of [nav, menu]) {
      assert.doesNotMatch(focused.ring, /^none /, `${focused.name} shows an outline when focused: ${focused.ring}`);
      assert.notEqual(focused.ring, await unfocused(focused.name), `${focused.name}: focus changes its look`);
    }

    // Enter on the focused user menu opens it, and the keyboard walks its items.
    await page.getByRole('button', { name: 'User menu' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menuitem', { name: 'Log out' }).waitFor();
    await assertAccessible(page, 'the open user menu');
    await screenshot(page, 'user-menu-desktop');
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
  } finally {
    await context.close();
  }
});

test('catalog search matches name, description, category and tags; the category filter narrows', async () => {
  const { context, page } = await newPage('desktop');
  try {
    await logIn(page);
    const all = await cards(page).count();
    assert.ok(all >= 2, `the catalog lists the apps (${all})`);
    const search = page.getByRole('searchbox', { name: 'Search apps' });
    await search.fill('console'); // a tag
    await waitFor('only xterm', async () => (await cards(page).count()) === 1, 5000, 50);
    assert.equal(await cards(page).first().getAttribute('data-template'), 'xterm');
    await search.fill('minimal x'); // words of its description
    await waitFor('xterm by its description', async () => (await cards(page).count()) === 1, 5000, 50);
    assert.equal(await cards(page).first().getAttribute('data-template'), 'xterm');
    await search.fill('broken'); // its name
    await waitFor('only the broken app', async () => (await cards(page).count()) === 1, 5000, 50);
    assert.equal(await cards(page).first().getAttribute('data-template'), 'broken-app');
    await search.fill('testing'); // its category
    await waitFor('category matched', async () => (await cards(page).count()) === 1, 5000, 50);
    await search.fill('no app is called this');
    await page.getByText('No app matches').waitFor();
    await page.getByRole('button', { name: 'Show all apps' }).click();
    await waitFor('all again', async () => (await cards(page).count()) === all, 5000, 50);

    await page.getByRole('group', { name: 'Category' }).getByText('Testing', { exact: true }).click();
    await waitFor('one category', async () => (await cards(page).count()) === 1, 5000, 50);
    assert.equal(await cards(page).first().getAttribute('data-template'), 'broken-app');
  } finally {
    await context.close();
  }
});

test('a start that fails stays on its card with the reason and what to do; dismiss clears it', async () => {
  const { context, page } = await newPage('desktop');
  try {
    await logIn(page);
    const card = page.locator('li[data-template=broken-app]');
    await card.getByRole('button', { name: 'Start Broken app' }).click();
    const failure = card.getByRole('alert');
    await failure.waitFor({ timeout: 60_000 });
    const text = (await failure.textContent()) ?? '';
    assert.match(text, /Broken app did not start/);
    assert.match(text, /localhost:1\/streamspace\/missing:latest/, `the agent's reason is shown: ${text}`);
    assert.match(text, /Ask an administrator to build or fix the image/);
    await screenshot(page, 'apps-start-failed-desktop');
    await card.getByRole('button', { name: 'Dismiss' }).click();
    await card.getByRole('button', { name: 'Start Broken app' }).waitFor();
    assert.equal(await card.getByRole('alert').count(), 0);
  } finally {
    await context.close();
  }
});

test('start from a card: progress in place, then the viewer opens on the running session; a second start shows the quota message', async () => {
  const { context, page } = await newPage('desktop');
  try {
    await logIn(page);
    const card = page.locator('li[data-template=xterm]');
    const recorder = await recordStartupSteps(page, 'li[data-template=xterm]');
    await card.getByRole('button', { name: 'Start Terminal' }).click();
    await card.getByRole('progressbar', { name: 'start-up progress' }).waitFor();
    await screenshot(page, 'apps-starting-desktop');
    await page.waitForFunction(() => /^#\/view\/[0-9a-f-]{36}$/.test(location.hash), null, { timeout: 90_000 });
    const sessionId = new URL(page.url()).hash.slice('#/view/'.length);
    const steps = await recorder.steps();
    assert.ok(steps.length > 0 && steps.includes('vnc'), `progress shown on the card: ${steps.join(' → ')}`);
    const session = await cp.api('GET', `/api/v1/sessions/${sessionId}`, { token: danaToken });
    assert.equal(session.body.state, 'running', 'the viewer opens once the session runs');
    assert.equal(session.body.agent_region, REGION);
    await page.locator('.screen').waitFor();

    // Over the quota: the toast carries the server's own words.
    const refused = await cp.api('POST', '/api/v1/sessions', { token: danaToken, body: { template: 'xterm' } });
    assert.equal(refused.status, 429);
    await page.goto(`${cp.url}/#/`);
    await card.getByRole('button', { name: 'Start Terminal' }).click();
    const toast = page.getByRole('alert').filter({ hasText: refused.body.message as string });
    await toast.waitFor();
    assert.match((await toast.textContent()) ?? '', /Terminal could not start/);
    await assertAccessible(page, 'apps with a toast');
    await screenshot(page, 'apps-toast-desktop');
    await toast.getByRole('button', { name: 'Dismiss message' }).click();
    await toast.waitFor({ state: 'detached' });

    // My sessions: the card with state, agent and region, updated live; Delete asks first.
    await page.getByRole('link', { name: 'My sessions' }).click();
    const mine = page.locator(`li[data-session="${sessionId}"]`);
    await mine.waitFor();
    assert.equal(await mine.getAttribute('data-state'), 'running');
    const text = (await mine.textContent()) ?? '';
    assert.match(text, /Running/);
    assert.match(text, new RegExp(`on ${AGENT_ID} · region ${REGION}`));
    assert.match(text, /started (just now|\d+ min ago)/);
    await screenshot(page, 'sessions-running-desktop');
    await mine.getByRole('button', { name: 'Hibernate' }).click();
    await page.locator(`li[data-session="${sessionId}"][data-state=hibernated]`).waitFor({ timeout: 30_000 });
    assert.match((await mine.textContent()) ?? '', /Hibernated/);
    await mine.getByRole('button', { name: 'Resume' }).waitFor();

    await mine.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete Terminal?' });
    await confirm.getByRole('button', { name: 'Delete session' }).click();
    await mine.waitFor({ state: 'detached', timeout: 30_000 });
  } finally {
    await context.close();
  }
});

test("an admin's My sessions lists their own sessions, not every user's", async () => {
  const others = (await cp.api('GET', '/api/v1/sessions')).body as Array<{ user: string }>;
  assert.ok(
    others.some((s) => s.user === USER),
    'the API shows the admin every session (here dana’s failed one)',
  );
  const { context, page } = await newPage('desktop');
  try {
    await page.goto(cp.url);
    await page.locator('input[name=username]').fill('admin');
    await page.locator('input[name=password]').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'My sessions' }).click();
    await page.getByText('No sessions', { exact: true }).waitFor();
    assert.equal(await page.locator('li[data-session]').count(), 0);
  } finally {
    await context.close();
  }
});
