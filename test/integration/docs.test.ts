import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { configurationTable } from '@streamspace/control-plane';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');

test("the README's configuration table is the config module's (run `npm run docs:config` to refresh)", async () => {
  const readme = await read('README.md');
  const between = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)?.[1];
  assert.equal(between, configurationTable());
});

test('CI runs the test command the README gives', async () => {
  const readme = await read('README.md');
  const ci = await read('.ci/run');
  assert.match(readme, /```sh\nnpm ci && npm test\n```/);
  assert.match(ci, /^npm ci\b/m);
  assert.match(ci, /^npm test$/m);
});
