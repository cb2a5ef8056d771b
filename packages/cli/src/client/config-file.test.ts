import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_URL,
  configPath,
  forgetStoredLogin,
  readStoredLogin,
  resolveTarget,
  writeStoredLogin,
} from './config-file.js';

const stored = { url: 'https://ss.example.com', token: 'stored-token' };

test('the config file lives under XDG_CONFIG_HOME, else ~/.config', () => {
  assert.equal(configPath({ XDG_CONFIG_HOME: '/x', HOME: '/home/u' }), '/x/streamspace/config.json');
  assert.equal(configPath({ HOME: '/home/u' }), '/home/u/.config/streamspace/config.json');
  assert.equal(configPath({ XDG_CONFIG_HOME: ' ', HOME: '/home/u' }), '/home/u/.config/streamspace/config.json');
});

test('precedence: environment over the stored login, the default URL last', () => {
  assert.deepEqual(resolveTarget({}, undefined), { url: DEFAULT_URL, token: undefined, tokenSource: undefined });
  assert.deepEqual(resolveTarget({}, stored), { url: stored.url, token: 'stored-token', tokenSource: 'config' });
  assert.deepEqual(resolveTarget({ STREAMSPACE_TOKEN: 'env-token' }, stored), {
    url: stored.url,
    token: 'env-token',
    tokenSource: 'STREAMSPACE_TOKEN',
  });
  assert.deepEqual(resolveTarget({ STREAMSPACE_URL: 'https://ss.example.com/', STREAMSPACE_TOKEN: 'e' }, stored), {
    url: stored.url,
    token: 'e',
    tokenSource: 'STREAMSPACE_TOKEN',
  });
});

test('the stored token is never sent to another URL than the one it was stored for', () => {
  assert.deepEqual(resolveTarget({ STREAMSPACE_URL: 'https://evil.example.com' }, stored), {
    url: 'https://evil.example.com',
    token: undefined,
    tokenSource: undefined,
  });
  assert.equal(resolveTarget({ STREAMSPACE_URL: 'https://ss.example.com/' }, stored).token, 'stored-token');
});

test('written 0600 in a 0700 directory, also over a file that was wider; read back; forgotten', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'streamspace-config-'));
  try {
    const path = configPath({ XDG_CONFIG_HOME: dir });
    assert.equal(await readStoredLogin(path), undefined);
    await writeStoredLogin(path, stored);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'streamspace'))).mode & 0o777, 0o700);
    assert.deepEqual(await readStoredLogin(path), stored);
    await writeFile(path, '{}', { mode: 0o644 });
    await assert.rejects(
      readStoredLogin(path),
      /is not a streamspace config \(url or token missing\); run streamspace login/,
    );
    await writeStoredLogin(path, { ...stored, username: 'ann' });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).username, 'ann');
    assert.equal(await forgetStoredLogin(path), true);
    assert.equal(await forgetStoredLogin(path), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
