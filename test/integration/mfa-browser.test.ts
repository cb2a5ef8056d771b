import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { generate } from 'otplib';
import { launchChromium } from '../support/browser.js';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

// Real Chromium on the built web UI: the user sets two-factor up on the Account page, reading the
// secret the page shows, and then logs in with password and code. Codes come from the real clock:
// the login uses the next period's code, inside the server's one-step window and after the step
// the confirming code used, however the seconds fall.
let fresh: FreshDatabase;
let cp: TestControlPlane;
let browser: Browser;
let page: Page;

before(async () => {
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  await cp.createUser('grace');
  browser = await launchChromium();
  page = await browser.newPage();
});
after(async () => {
  await browser?.close();
  await cp?.stop();
  await fresh?.close();
});

const logIn = async (username: string, password: string) => {
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
};
/** Log out sits in the user menu of the shell's header. */
const logOut = async () => {
  await page.getByRole('button', { name: 'User menu' }).click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
};

test('enroll on the Account page, log out, log in with password and code', async () => {
  await page.goto(cp.url);
  await logIn('grace', 'grace-password');
  await page.getByRole('button', { name: 'User menu' }).click();
  await page.getByRole('menuitem', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
  await qr.waitFor();
  assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the QR code is drawn');
  const secret = (await page.getByLabel('Secret key').textContent())!.trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await page.getByLabel('Code from your app').fill(await generate({ secret }));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await codes.first().waitFor();
  assert.equal(await codes.count(), 10);
  await page
    .getByText(/Two-factor authentication is on/)
    .first()
    .waitFor();

  await page.getByRole('link', { name: 'Continue to StreamSpace' }).click();
  await logOut();
  await page.locator('input[name=username]').waitFor();
  await logIn('grace', 'grace-password');
  const codeField = page.getByLabel('Authentication code');
  await codeField.waitFor();
  await codeField.fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('button', { name: 'User menu' }).waitFor();
  const audit = await cp.cp.database.db
    .selectFrom('audit_log')
    .select(['action', 'details'])
    .where('actor', '=', 'grace')
    .orderBy('at')
    .execute();
  assert.deepEqual(audit.at(-1), { action: 'auth.login', details: { mfa: true, method: 'totp' } });
});

test("an admin resets the user's two-factor from the Users page", async () => {
  await logOut();
  await logIn('admin', ADMIN_PASSWORD);
  await page.locator('a[href="#/users"]').click();
  const reset = page.getByRole('button', { name: 'Reset two-factor of grace' });
  await reset.click();
  // Destructive: the page asks first, in a dialog naming the action.
  await page
    .getByRole('dialog', { name: 'Reset two-factor of grace?' })
    .getByRole('button', { name: 'Reset two-factor' })
    .click();
  await reset.waitFor({ state: 'detached' });
  const row = await cp.cp.database.db
    .selectFrom('audit_log')
    .select(['action', 'actor'])
    .where('action', '=', 'user.mfa_reset')
    .executeTakeFirst();
  assert.deepEqual(row, { action: 'user.mfa_reset', actor: 'admin' });
});

test('MFA_REQUIRED=all: the login lands on the two-factor setup, and other pages send the user back there', async () => {
  const strict = await PGLITE.fresh();
  const required = await startTestControlPlane(strict, { env: { MFA_REQUIRED: 'all' } });
  try {
    const tab = await browser.newPage();
    await tab.goto(required.url);
    await tab.fill('input[name=username]', 'admin');
    await tab.fill('input[name=password]', ADMIN_PASSWORD);
    await tab.click('button[type=submit]');
    await tab.getByText('Two-factor authentication is required for your account').waitFor();
    assert.equal(new URL(tab.url()).hash, '#/account');
    await tab.goto(`${required.url}/#/`);
    await tab.getByRole('button', { name: 'Set up two-factor authentication' }).waitFor();
    assert.equal(new URL(tab.url()).hash, '#/account', 'the 403 from the API took the page back');
    await tab.close();
  } finally {
    await required.stop();
    await strict.close();
  }
});
