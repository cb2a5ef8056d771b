#!/usr/bin/env node
// Copies the README's screenshots from the browser tests' output (test-artifacts/) into docs/, so
// the pictures in the README are the ones the last test run took, never hand-made.
//   Run the tests first:  node scripts/run-tests.mjs test/dist/integration/ui-pages.test.js
//   (and files-browser.test.js for the viewer's picture, admin-pages.test.js for the dashboard's)
import { copyFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** docs/<name> ← test-artifacts/<artifact>, and the test file that takes it. */
const SCREENSHOTS = [
  ['ui-apps.png', 'apps-desktop.png', 'ui-pages'],
  ['ui-apps-starting.png', 'apps-starting-desktop.png', 'ui-pages'],
  ['ui-apps-start-failed.png', 'apps-start-failed-desktop.png', 'ui-pages'],
  ['ui-apps-dark.png', 'apps-dark-desktop.png', 'ui-pages'],
  ['ui-apps-phone.png', 'apps-phone.png', 'ui-pages'],
  ['ui-sessions.png', 'sessions-running-desktop.png', 'ui-pages'],
  ['ui-login.png', 'login-desktop.png', 'ui-pages'],
  ['ui-account.png', 'account-desktop.png', 'ui-pages'],
  ['session-viewer.png', 'files-panel.png', 'files-browser'],
  ['admin-dashboard.png', 'admin-dashboard-desktop.png', 'admin-pages'],
];

const missing = SCREENSHOTS.filter(([, artifact]) => !existsSync(`${root}test-artifacts/${artifact}`));
if (missing.length > 0) {
  for (const [, artifact, test] of missing)
    process.stderr.write(
      `test-artifacts/${artifact} is missing: run \`node scripts/run-tests.mjs test/dist/integration/${test}.test.js\` (after npm run build) first\n`,
    );
  process.exit(1);
}
for (const [name, artifact] of SCREENSHOTS) {
  copyFileSync(`${root}test-artifacts/${artifact}`, `${root}docs/${name}`);
  process.stdout.write(`docs/${name} ← test-artifacts/${artifact}\n`);
}
