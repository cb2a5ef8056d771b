import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT, SERVICE_SOURCES, imageTags, recipeHash } from './catalog.js';

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'streamspace-images-'));
  for (const [path, text] of Object.entries(files)) await put(root, path, text);
  return root;
}
async function put(root: string, path: string, text: string) {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

test('the recipe hash changes exactly when the image folder or images/common changes', async () => {
  const root = await tree({
    'images/common/start-session': '#!/bin/sh\n',
    'images/xterm/Containerfile': 'FROM base\n',
    'images/desktop/Containerfile': 'FROM base\n',
  });
  const first = recipeHash('xterm', root);
  assert.match(first, /^[0-9a-f]{16}$/);
  assert.equal(recipeHash('xterm', root), first, 'stable');
  await put(root, 'images/desktop/Containerfile', 'FROM other\n');
  assert.equal(recipeHash('xterm', root), first, "another image's change does not count");
  await put(root, 'package.json', '{"version":"0.2.0"}');
  assert.equal(recipeHash('xterm', root), first, 'the service sources do not count');
  await put(root, 'images/common/start-session', '#!/bin/sh\nexec "$@"\n');
  const second = recipeHash('xterm', root);
  assert.notEqual(second, first, 'images/common counts');
  await put(root, 'images/xterm/Containerfile', 'FROM base\nRUN true\n');
  assert.notEqual(recipeHash('xterm', root), second, "the image's own folder counts");
  await rm(root, { recursive: true });
});

test("a service image's recipe hash covers its sources and Containerfile, not installed, built, test or doc files", async () => {
  const root = await tree({
    '.dockerignore': '*\n',
    '.npmrc': 'fund=false\n',
    'package.json': '{"version":"0.1.0"}',
    'package-lock.json': '{}',
    'tsconfig.base.json': '{}',
    'test/package.json': '{}',
    'bench/package.json': '{}',
    'images/common/start-session': '#!/bin/sh\n',
    'images/control-plane/Containerfile': 'FROM node\n',
    'images/agent/Containerfile': 'FROM node\n',
    'packages/control-plane/package.json': '{}',
    'packages/control-plane/src/server.ts': 'export {};\n',
    'packages/control-plane/migrations/0001_init.sql': 'CREATE TABLE a (id int);\n',
    'packages/web/src/main.tsx': 'export {};\n',
  });
  const first = recipeHash('control-plane', root);
  assert.equal(recipeHash('control-plane', root), first, 'stable');
  for (const [path, text] of [
    ['node_modules/x/index.js', '1'],
    ['packages/control-plane/node_modules/y/index.js', '1'],
    ['packages/control-plane/dist/server.js', '1'],
    ['packages/web/dist/index.html', '<html>'],
    ['packages/control-plane/tsconfig.tsbuildinfo', '{}'],
    ['packages/control-plane/src/server.test.ts', 'test'],
    ['packages/control-plane/README.md', '# docs'],
    ['data/pglite/PG_VERSION', '17'],
    ['test/integration/x.test.ts', 'test'],
    ['README.md', '# docs'],
    ['images/common/start-session', '#!/bin/sh\nexit 1\n'],
    ['images/xterm/Containerfile', 'FROM base\n'],
    ['images/agent/Containerfile', 'FROM node\nUSER 1\n'],
  ]) {
    await put(root, path!, text!);
    assert.equal(recipeHash('control-plane', root), first, `${path} does not count`);
  }
  let last = first;
  for (const [path, text] of [
    ['images/control-plane/Containerfile', 'FROM node\nUSER 10001\n'],
    ['packages/control-plane/src/server.ts', 'export const x = 1;\n'],
    ['packages/control-plane/src/new-module.ts', 'export {};\n'],
    ['packages/control-plane/migrations/0002_more.sql', 'SELECT 1;\n'],
    ['packages/web/src/main.tsx', 'export const y = 1;\n'],
    ['packages/web/index.html', '<html>'],
    ['package-lock.json', '{"lockfileVersion":3}'],
    ['package.json', '{"version":"0.2.0"}'],
    ['packages/control-plane/package.json', '{"dependencies":{}}'],
    ['test/package.json', '{"private":true}'],
    ['.dockerignore', '*\n!packages\n'],
  ]) {
    await put(root, path!, text!);
    const next = recipeHash('control-plane', root);
    assert.notEqual(next, last, `${path} counts`);
    last = next;
  }
  await rm(root, { recursive: true });
});

test('.dockerignore admits exactly the sources the service recipe hash covers', () => {
  const admitted = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('!'))
    .map((line) => line.slice(1));
  assert.deepEqual([...admitted].sort(), [...SERVICE_SOURCES].sort());
});

test("service images are tagged latest and the root package.json's version; session images latest", async () => {
  const root = await tree({ 'package.json': '{"name":"streamspace","version":"2.3.4"}' });
  assert.deepEqual(imageTags('control-plane', root), [
    'streamspace/control-plane:latest',
    'streamspace/control-plane:2.3.4',
  ]);
  assert.deepEqual(imageTags('agent', root), ['streamspace/agent:latest', 'streamspace/agent:2.3.4']);
  assert.deepEqual(imageTags('xterm', root), ['streamspace/xterm:latest']);
  await rm(root, { recursive: true });
});
