import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { configurationTable } from '@streamspace/control-plane';
import { agentConfigurationTable } from '@streamspace/agent';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');

test("the README's configuration tables are the config modules' (run `npm run docs:config` to refresh)", async () => {
  const readme = await read('README.md');
  for (const [name, table] of [
    ['config-table', configurationTable()],
    ['agent-config-table', agentConfigurationTable()],
  ] as const) {
    const between = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(readme)?.[1];
    assert.equal(between, table, name);
  }
});

test('CI runs the test command the README gives', async () => {
  const readme = await read('README.md');
  const ci = await read('.ci/run');
  assert.match(readme, /```sh\nnpm ci && npm test\n```/);
  assert.match(ci, /^npm ci\b/m);
  assert.match(ci, /^npm test$/m);
});
