import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { launchChromium } from '../support/browser.js';
import { VIEWPORTS, screenshot, seriousAccessibilityViolations } from '../support/page-checks.js';
import { simulatedSession } from '../support/simulated-sessions.js';
import { waitFor } from '../support/wait-for.js';

// Issue 14 §4: the admin pages in a real browser against a real control plane, with a simulated
// agent registered over the real hub.
const AGENT_ID = 'dash-agent';
const CAPACITY = { max_sessions: 4, max_cpu: 8, max_memory_gb: 16 };
const USED = { sessions: 1, cpu: 2, memory_gb: 4 };
const REASON = 'image streamspace/gimp:latest not found; build it with `streamspace image build gimp`';

let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: AgentSimulator;
let browser: Browser;

before(async () => {
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  const registered = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, {
    agent_id: AGENT_ID,
    region: 'eu-west',
    capacity: CAPACITY,
  });
  agent = registered.agent;
  agent.heartbeat(USED, CAPACITY);
  agent.startHeartbeats(registered.registered.heartbeat_interval_ms, USED, CAPACITY);
  await waitFor('the heartbeat applied', async () => {
    const row = (await cp.api('GET', `/api/v1/agents/${AGENT_ID}`)).body;
    return row.used?.cpu === USED.cpu;
  });
  await simulatedSession(cp, agent, 'xterm', { state: 'running' });
  await simulatedSession(cp, agent, 'firefox-browser', { state: 'failed', reason: REASON });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await agent?.close();
  await cp?.stop();
  await fresh?.close();
});

/** A tab at `viewport`, logged in as the admin (the UI keeps its token in sessionStorage). */
async function adminTab(viewport: { width: number; height: number }): Promise<Page> {
  // bypassCSP: axe-core is injected as an inline script, which the UI's CSP rightly refuses.
  const page = await browser.newPage({ viewport, bypassCSP: true });
  await page.goto(cp.url);
  await page.evaluate((token) => sessionStorage.setItem('streamspace-token', token), cp.token!);
  return page;
}

const countOf = (page: Page, state: string) => page.locator(`[data-state-count=${state}] p`).innerText();

test('the dashboard shows sessions by state, the agent with its capacity, and a failure with its reason', async () => {
  const page = await adminTab(VIEWPORTS.desktop);
  await page.goto(`${cp.url}/#/admin`);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.locator('[data-failure]').first().waitFor();

  const running = page.locator('[data-state-count=running]');
  assert.match((await running.textContent()) ?? '', /Running\s*1/, 'the state in words beside its count');
  assert.equal(await countOf(page, 'failed'), '1');
  assert.equal(await countOf(page, 'pending'), '0');

  const card = page.locator(`[data-agent-card=${AGENT_ID}]`);
  const cardText = (await card.textContent()) ?? '';
  assert.match(cardText, /online/);
  assert.match(cardText, /region eu-west/);
  assert.match(cardText, /heartbeat \d+ s ago/);
  assert.equal(await card.getByRole('progressbar', { name: 'Sessions: 1 of 4' }).getAttribute('aria-valuenow'), '25');
  assert.equal(
    await card.getByRole('progressbar', { name: 'CPU: 2 cores of 8 cores' }).getAttribute('aria-valuenow'),
    '25',
  );
  await card.getByRole('progressbar', { name: 'Memory: 4 GB of 16 GB' }).waitFor();

  const failure = page.locator('[data-failure]').first();
  const text = await failure.innerText();
  assert.ok(text.includes(REASON), text);
  assert.match(text, /firefox-browser/);
  assert.match(text, new RegExp(`for admin on ${AGENT_ID}`));

  // Live: a new failure shows up without a reload (the session stream triggers a refresh).
  await simulatedSession(cp, agent, 'xterm', { state: 'failed', reason: 'out of memory' });
  await page.waitForFunction(() => document.querySelectorAll('[data-failure]').length === 2);
  assert.equal(await countOf(page, 'failed'), '2');
  assert.match(await page.locator('[data-failure]').first().innerText(), /out of memory/);
  await page.close();
});

const PAGES: Record<string, { hash: string; ready: (page: Page) => Promise<unknown> }> = {
  dashboard: { hash: '#/admin', ready: (page) => page.locator('[data-failure]').first().waitFor() },
  agents: { hash: '#/agents', ready: (page) => page.locator(`[data-agent="${AGENT_ID}"]`).waitFor() },
  users: { hash: '#/users', ready: (page) => page.locator('[data-user=admin]').waitFor() },
  templates: { hash: '#/templates', ready: (page) => page.locator('[data-template-row=xterm]').waitFor() },
  audit: { hash: '#/audit', ready: (page) => page.locator('tr[data-action="auth.login"]').first().waitFor() },
};

for (const [name, { hash, ready }] of Object.entries(PAGES)) {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    test(`${name} at ${viewport.width}x${viewport.height}: no serious accessibility violation, screenshot`, async () => {
      const page = await adminTab(viewport);
      await page.goto(`${cp.url}/${hash}`);
      await ready(page);
      assert.deepEqual(await seriousAccessibilityViolations(page), []);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
      await screenshot(page, `admin-${name}-${size}`);
      await page.close();
    });
  }
}

/** The text of what the input's aria-describedby points at: its help text and its error. */
const describedBy = (page: Page, label: string) =>
  page
    .getByRole('dialog')
    .getByRole('textbox', { name: label, exact: true })
    .evaluate((input) =>
      (input.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' | '),
    );

test("the template form shows the server's message on the field it concerns, and a valid template is listed", async () => {
  const page = await adminTab(VIEWPORTS.desktop);
  await page.goto(`${cp.url}/#/templates`);
  await page.locator('[data-template-row=xterm]').waitFor();
  await page.getByRole('button', { name: 'Add template' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a template' });
  // Mantine's selects and tags inputs are comboboxes, the rest text boxes.
  const field = (name: string) =>
    dialog.getByRole('textbox', { name, exact: true }).or(dialog.getByRole('combobox', { name, exact: true }));
  await field('Name').fill('gimp');
  await field('Display name').fill('GIMP');
  await field('Image').fill('streamspace/gimp:latest');
  await field('Memory (MB)').fill('10');
  await dialog.getByRole('button', { name: 'Add template' }).click();

  const memory = field('Memory (MB)');
  await page.waitForFunction(
    () => document.querySelector('input[name=memory_limit_mb]')?.getAttribute('aria-invalid') === 'true',
  );
  assert.match(await describedBy(page, 'Memory (MB)'), /body\.memory_limit_mb must be >= 64/);
  assert.equal(await memory.evaluate((input) => input === document.activeElement), true, 'focus moved to the field');
  assert.deepEqual(await seriousAccessibilityViolations(page), [], 'the open form, with an error shown');
  await screenshot(page, 'admin-template-form-desktop');

  await memory.fill('2048');
  await field('Icon').click();
  await page.getByRole('option', { name: 'An image at an https URL…' }).click();
  await field('Icon URL').fill('http://example.com/gimp.svg');
  await dialog.getByRole('button', { name: 'Add template' }).click();
  await page.waitForFunction(
    () => document.querySelector('input[name=icon_url]')?.getAttribute('aria-invalid') === 'true',
  );
  assert.match(await describedBy(page, 'Icon URL'), /body\.icon must match pattern "\^https:/);
  assert.equal(await memory.getAttribute('aria-invalid'), null, 'the fixed field no longer shows an error');

  await field('Icon URL').fill('https://example.com/gimp.svg');
  await field('Tags').fill('graphics');
  await field('Tags').press('Enter');
  await dialog.getByRole('button', { name: 'Add template' }).click();
  await dialog.waitFor({ state: 'detached' });
  const row = page.locator('tr[data-template-row=gimp]');
  await row.waitFor();
  assert.match(await row.innerText(), /GIMP/);
  assert.match(await row.innerText(), /2048 MB/);
  const saved = (await cp.api('GET', '/api/v1/templates/gimp')).body;
  assert.equal(saved.icon, 'https://example.com/gimp.svg');
  assert.deepEqual(saved.tags, ['graphics']);

  // Editing opens the same form filled in; a server-side refusal (a reserved variable) lands on env.
  await row.getByRole('button', { name: 'Edit gimp' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit gimp' });
  assert.equal(await edit.getByRole('textbox', { name: 'Memory (MB)', exact: true }).inputValue(), '2048');
  await edit.getByRole('button', { name: 'Add variable' }).click();
  await edit.getByRole('textbox', { name: 'Variable 1 name' }).fill('VNC_PASSWORD');
  await edit.getByRole('textbox', { name: 'Variable 1 value' }).fill('guessable');
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.getByRole('alert').filter({ hasText: 'VNC_PASSWORD is reserved' }).waitFor();
  await edit.getByRole('textbox', { name: 'Variable 1 name' }).fill('HOME_URL');
  await edit.getByRole('switch', { name: 'Persistent home' }).check();
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.waitFor({ state: 'detached' });
  await row.locator('td', { hasText: 'persistent home' }).waitFor();
  const edited = (await cp.api('GET', '/api/v1/templates/gimp')).body;
  assert.deepEqual(edited.env, { HOME_URL: 'guessable' });
  assert.equal(edited.persistent_home, true);

  // A warm pool and a persistent home exclude each other: the 400 lands on the Warm pool field.
  await row.getByRole('button', { name: 'Edit gimp' }).click();
  const pool = page.getByRole('dialog', { name: 'Edit gimp' });
  await pool.getByRole('textbox', { name: 'Warm pool', exact: true }).fill('1');
  await pool.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(
    () => document.querySelector('input[name=warm_pool]')?.getAttribute('aria-invalid') === 'true',
  );
  assert.match(
    await describedBy(page, 'Warm pool'),
    /warm_pool: a template with persistent_home cannot keep a warm pool/,
  );
  await pool.getByRole('switch', { name: 'Persistent home' }).uncheck();
  await pool.getByRole('button', { name: 'Save' }).click();
  await pool.waitFor({ state: 'detached' });
  await row.locator('td', { hasText: 'warm pool 1' }).waitFor();
  // The dashboard shows the pool with its "warm" label (the simulated agent never reports it running).
  await page.goto(`${cp.url}/#/admin`);
  await page.locator('[data-warm-pool=gimp]', { hasText: 'of 1 ready' }).waitFor();
  assert.deepEqual(await seriousAccessibilityViolations(page), [], 'the dashboard with a warm pool');
  await screenshot(page, 'admin-dashboard-warm-pool');
  assert.equal((await cp.api('PATCH', '/api/v1/templates/gimp', { body: { warm_pool: 0 } })).status, 200);
  await page.close();
});

/** Presses Tab until the focused element matches the CSS `selector` (at most `limit` times). */
async function tabUntil(page: Page, what: string, selector: string, limit = 60) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((css) => document.activeElement?.matches(css) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

/** The focused element shows a focus ring: it matches :focus-visible and draws an outline. */
const focusVisible = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const style = getComputedStyle(el);
    return el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  });

test('the template form is reachable and operable by keyboard, with visible focus', async () => {
  const page = await adminTab(VIEWPORTS.desktop);
  await page.goto(`${cp.url}/#/templates`);
  await page.locator('[data-template-row=xterm]').waitFor();
  await tabUntil(page, 'the Add template button', 'button[data-add-template]');
  assert.ok(await focusVisible(page), 'the focused button shows a focus ring');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Add a template' });
  await dialog.waitFor();

  const field = (name: string) => `[role=dialog] input[name=${name}]`;
  await tabUntil(page, 'Name', field('name'));
  await page.keyboard.type('keyboard-app');
  await tabUntil(page, 'Display name', field('display_name'));
  await page.keyboard.type('Keyboard app');
  await tabUntil(page, 'Image', field('image'));
  await page.keyboard.type('example/keyboard:1');
  // Space toggles the switch; Enter in a text field submits the form.
  await tabUntil(page, 'Persistent home', '[role=dialog] input[type=checkbox]');
  await page.keyboard.press('Space');
  await tabUntil(page, 'the submit button', '[role=dialog] button[type=submit]');
  assert.ok(await focusVisible(page), 'the submit button shows a focus ring');
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  await page.locator('tr[data-template-row=keyboard-app]').waitFor();
  assert.equal((await cp.api('GET', '/api/v1/templates/keyboard-app')).body.persistent_home, true);

  // Escape closes the form without saving.
  await page.locator('button[data-add-template]').focus();
  await page.keyboard.press('Enter');
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await page.close();
});
