import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogImageName, catalogRecipes } from './catalog-recipes.js';

test('only the bundled session images are catalog images, however the engine spells their names', () => {
  assert.equal(catalogImageName('streamspace/xterm:latest'), 'xterm');
  assert.equal(catalogImageName('localhost/streamspace/firefox-browser:latest'), 'firefox-browser');
  assert.equal(catalogImageName('docker.io/streamspace/desktop'), 'desktop');
  for (const other of [
    'streamspace/control-plane:latest',
    'streamspace/agent:latest',
    'streamspace/xterm:1.0',
    'example.com/streamspace/xterm:latest',
    'nginx:latest',
  ])
    assert.equal(catalogImageName(other), undefined, other);
});

test('no recipes without the repository checkout; none for an image outside the catalog', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'streamspace-no-images-'));
  try {
    assert.equal(catalogRecipes(empty), undefined);
  } finally {
    await rm(empty, { recursive: true });
  }
  const recipes = catalogRecipes();
  assert.ok(recipes, "the repository's images/ folder is there");
  assert.equal(await recipes.recipeFor('nginx:latest'), undefined);
  assert.equal(await recipes.recipeFor('streamspace/agent:latest'), undefined);
});
