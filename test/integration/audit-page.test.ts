import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { launchChromium } from '../support/browser.js';
import { parseCsv } from '../support/csv.js';

// Issue 12 §4: the Audit page, in a real browser.
let fresh: FreshDatabase;
let cp: TestControlPlane;
let browser: Browser;
let page: Page;

before(async () => {
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});
after(async () => {
  await browser?.close();
  await cp?.stop();
  await fresh?.close();
});

const rowsShown = (action?: string) =>
  page.locator(action ? `table[aria-label="Audit log"] tbody tr[data-action="${action}"]` : 'table tbody tr').count();

test('an admin sees logins on the Audit page, filters by action, and exports CSV', async () => {
  for (const password of ['wrong-password-1', 'wrong-password-2']) {
    const refused = await cp.api('POST', '/api/v1/auth/login', { body: { username: 'admin', password }, token: null });
    assert.equal(refused.status, 401);
  }

  await page.goto(cp.url);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.locator('tr[data-action="auth.login"]').first().waitFor();
  const login = page.locator('tr[data-action="auth.login"]').first();
  assert.match(await login.innerText(), /admin/);
  assert.match(await login.innerText(), /127\.0\.0\.1/, 'the address column');
  assert.ok((await rowsShown('auth.login_failed')) >= 2);

  await page.getByLabel('Action').fill('auth.login_failed');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForFunction(() => {
    const rows = Array.from(document.querySelectorAll('table[aria-label="Audit log"] tbody tr'));
    return rows.length > 0 && rows.every((r) => r.getAttribute('data-action') === 'auth.login_failed');
  });
  assert.equal(await rowsShown(), 2);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^streamspace-audit-.*\.csv$/);
  const [header, ...rows] = parseCsv(await readFile((await download.path())!, 'utf8'));
  const action = header!.indexOf('action');
  assert.equal(rows.length, 2, 'the export holds what the filter shows');
  assert.ok(rows.every((cells) => cells[action] === 'auth.login_failed'));
  assert.ok(rows.every((cells) => cells[header!.indexOf('actor')] === 'admin'));
});

test('"Load more" pages on with the cursor until every entry is shown', async () => {
  await sql`INSERT INTO audit_log (actor, action, target_type, target_id)
            SELECT 'loader', 'test.more', 'test', g::text FROM generate_series(1, 150) AS g`.execute(cp.cp.database.db);
  await page.getByLabel('Action').fill('test.more');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForFunction(() => document.querySelectorAll('tbody tr[data-action="test.more"]').length === 100);
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.waitForFunction(() => document.querySelectorAll('tbody tr[data-action="test.more"]').length === 150);
  assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0, 'no more pages');
  const ids = await page.locator('tbody tr td:nth-child(4)').allInnerTexts();
  assert.equal(new Set(ids).size, 150, 'no entry twice');
});
