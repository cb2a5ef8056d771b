import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { launchChromium } from '../support/browser.js';

// The Account page in Chromium: profile, password and API tokens; and an admin revoking a user's
// token on the Users page. (The API's rules are tested on both databases in api-tokens.test.ts.)

let fresh: FreshDatabase;
let cp: TestControlPlane;
let browser: Browser;
let context: BrowserContext;
let page: Page;

before(async () => {
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  await cp.createUser('ursula');
  browser = await launchChromium();
  context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  page = await context.newPage();
  await logIn(page, 'ursula', 'ursula-password');
});
after(async () => {
  await browser?.close();
  await cp?.stop();
  await fresh?.close();
});

async function logIn(on: Page, username: string, password: string) {
  await on.goto(cp.url);
  await on.fill('input[name=username]', username);
  await on.fill('input[name=password]', password);
  await on.click('button[type=submit]');
  await on.locator('li[data-template=xterm]').waitFor();
}

const tokenOfPage = () => page.evaluate(() => sessionStorage.getItem('streamspace-token')!);

test('edit display name and email', async () => {
  await page.goto(`${cp.url}/#/account`);
  await page.getByLabel('Display name').fill('Ursula K');
  await page.getByLabel('Email').fill('ursula@example.com');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.getByText('Profile saved.').waitFor();
  const me = await cp.api('GET', '/api/v1/users/me', { token: await tokenOfPage() });
  assert.equal(me.body.display_name, 'Ursula K');
  assert.equal(me.body.email, 'ursula@example.com');
});

test('create an API token: shown once with a copy button, listed with its last use, revoked', async () => {
  await page.goto(`${cp.url}/#/account`);
  await page.getByLabel('Token name').fill('laptop script');
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByLabel('New API token');
  await shown.waitFor();
  const token = await shown.inputValue();
  assert.match(token, /^ssp_/);
  await page.getByRole('button', { name: 'Copy' }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);

  assert.equal((await cp.api('GET', '/api/v1/sessions', { token })).status, 200);
  await page.reload();
  const row = page.locator('tr[data-token="laptop script"]');
  await row.waitFor();
  assert.equal(await page.getByLabel('New API token').count(), 0, 'not shown again');
  assert.match((await row.textContent()) ?? '', /active.*from 127\.0\.0\.1/);
  assert.ok(!(await page.content()).includes(token));

  await page.getByRole('button', { name: 'Revoke token laptop script' }).click();
  await page.locator('tr[data-token="laptop script"][data-status=revoked]').waitFor();
  assert.equal((await cp.api('GET', '/api/v1/sessions', { token })).status, 401);
});

test('change the password: a wrong current one is refused; then other logins end and this one stays', async () => {
  const elsewhere = await cp.login('ursula', 'ursula-password');
  await page.goto(`${cp.url}/#/account`);
  await page.getByLabel('Current password').fill('not-it');
  await page.getByLabel('New password').fill('ursula-new-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('alert').getByText('current_password is wrong').waitFor();

  await page.getByLabel('Current password').fill('ursula-password');
  await page.getByLabel('New password').fill('ursula-new-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed; other devices are logged out.').waitFor();
  assert.equal((await cp.api('GET', '/api/v1/sessions', { token: elsewhere })).status, 401);
  assert.equal((await cp.api('GET', '/api/v1/sessions', { token: await tokenOfPage() })).status, 200);
  await page.reload();
  await page.getByRole('heading', { name: /Profile of ursula/ }).waitFor();
});

test("an admin sees and revokes a user's tokens on the users page", async () => {
  const login = await cp.login('ursula', 'ursula-new-password');
  const created = await cp.api('POST', '/api/v1/users/me/tokens', { token: login, body: { name: 'nightly' } });
  const admin = await context.newPage();
  await logIn(admin, 'admin', ADMIN_PASSWORD);
  await admin.goto(`${cp.url}/#/users`);
  await admin.getByRole('button', { name: 'API tokens of ursula' }).click();
  await admin.locator('tr[data-token=nightly][data-status=active]').waitFor();
  await admin.getByRole('button', { name: 'Revoke token nightly' }).click();
  await admin.locator('tr[data-token=nightly][data-status=revoked]').waitFor();
  assert.equal((await cp.api('GET', '/api/v1/users/me', { token: created.body.token })).status, 401);
  await admin.close();
});
