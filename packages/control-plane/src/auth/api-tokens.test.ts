import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLifetime } from '../config/settings.js';
import {
  DEFAULT_API_TOKEN_LIFETIME_MS,
  apiTokenLifetime,
  hashApiToken,
  isApiToken,
  newApiToken,
} from './api-tokens.js';

const DAY = 86_400_000;

test('tokens: ssp_ prefix, 256 random bits, a hint of 8 characters, SHA-256 hex stored', () => {
  const a = newApiToken();
  const b = newApiToken();
  assert.match(a.token, /^ssp_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.token, b.token);
  assert.equal(a.hint, a.token.slice(0, 8));
  assert.equal(a.hash, hashApiToken(a.token));
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  assert.ok(isApiToken(a.token));
  assert.ok(!isApiToken('eyJhbGciOiJIUzI1NiJ9.e30.x'), 'a JWT is not an API token');
});

test('lifetimes in days as well as the protocol units', () => {
  assert.equal(parseLifetime('90d'), 90 * DAY);
  assert.equal(parseLifetime('1d12h'), 1.5 * DAY);
  assert.equal(parseLifetime('12h'), 12 * 3_600_000);
  assert.equal(parseLifetime(' 30m '), 1_800_000);
  for (const bad of ['', 'd', '1.5d', '90', 'never', '-1d', '1d 2h']) assert.equal(parseLifetime(bad), undefined, bad);
});

test('expires_in: default 90d within the maximum, seconds or durations, never above the maximum', () => {
  assert.deepEqual(apiTokenLifetime(undefined, 365 * DAY), { ok: true, ms: DEFAULT_API_TOKEN_LIFETIME_MS });
  assert.deepEqual(apiTokenLifetime(undefined, 30 * DAY), { ok: true, ms: 30 * DAY });
  assert.deepEqual(apiTokenLifetime(3600, 365 * DAY), { ok: true, ms: 3_600_000 });
  assert.deepEqual(apiTokenLifetime('7d', 365 * DAY), { ok: true, ms: 7 * DAY });
  const tooLong = apiTokenLifetime('400d', 365 * DAY);
  assert.ok(
    !tooLong.ok && /400d is too long; API tokens live at most 365d \(API_TOKEN_MAX_LIFETIME\)/.test(tooLong.message),
  );
  const never = apiTokenLifetime('never', 365 * DAY);
  assert.ok(!never.ok && /API tokens always expire/.test(never.message));
  for (const short of [0, -5, 59, '30s']) assert.equal(apiTokenLifetime(short, 365 * DAY).ok, false, String(short));
});
