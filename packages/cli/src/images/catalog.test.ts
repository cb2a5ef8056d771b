import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recipeHash } from './catalog.js';

test('the recipe hash changes exactly when the image folder or images/common changes', async () => {
  const dir = `${await mkdtemp(join(tmpdir(), 'streamspace-images-'))}/`;
  await mkdir(join(dir, 'common'));
  await mkdir(join(dir, 'xterm'));
  await mkdir(join(dir, 'desktop'));
  await writeFile(join(dir, 'common', 'start-session'), '#!/bin/sh\n');
  await writeFile(join(dir, 'xterm', 'Containerfile'), 'FROM base\n');
  await writeFile(join(dir, 'desktop', 'Containerfile'), 'FROM base\n');
  const first = recipeHash('xterm', dir);
  assert.match(first, /^[0-9a-f]{16}$/);
  assert.equal(recipeHash('xterm', dir), first, 'stable');
  await writeFile(join(dir, 'desktop', 'Containerfile'), 'FROM other\n');
  assert.equal(recipeHash('xterm', dir), first, "another image's change does not count");
  await writeFile(join(dir, 'common', 'start-session'), '#!/bin/sh\nexec "$@"\n');
  const second = recipeHash('xterm', dir);
  assert.notEqual(second, first, 'images/common counts');
  await writeFile(join(dir, 'xterm', 'Containerfile'), 'FROM base\nRUN true\n');
  assert.notEqual(recipeHash('xterm', dir), second, "the image's own folder counts");
});
