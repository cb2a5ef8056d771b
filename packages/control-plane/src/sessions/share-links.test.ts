import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHARE_TOKEN_SHAPE, hashShareToken, newShareToken, shareLifetime, shareUrl } from './share-links.js';

const DAY = 86_400_000;

test('share tokens are high-entropy, prefixed, and stored only as a SHA-256', () => {
  const a = newShareToken();
  const b = newShareToken();
  assert.match(a.token, SHARE_TOKEN_SHAPE);
  assert.notEqual(a.token, b.token);
  assert.equal(a.hash, hashShareToken(a.token));
  assert.match(a.hash, /^[0-9a-f]{64}$/);
});

test('expires_in: seconds or a duration, at least a minute, at most SHARE_MAX_LIFETIME', () => {
  assert.deepEqual(shareLifetime('8h', 7 * DAY), { ok: true, ms: 8 * 3_600_000 });
  assert.deepEqual(shareLifetime('2d', 7 * DAY), { ok: true, ms: 2 * DAY });
  assert.deepEqual(shareLifetime(90, 7 * DAY), { ok: true, ms: 90_000 });
  const tooLong = shareLifetime('8d', 7 * DAY);
  assert.ok(!tooLong.ok && tooLong.message.includes('at most 7d (SHARE_MAX_LIFETIME)'));
  const tooShort = shareLifetime('30s', 7 * DAY);
  assert.ok(!tooShort.ok && tooShort.message.includes('at least 1m'));
  assert.equal(shareLifetime('forever', 7 * DAY).ok, false);
});

test('the link opens the UI’s share route on the public address', () => {
  assert.equal(shareUrl('https://ss.example/', 'shr_x'), 'https://ss.example/#/share/shr_x');
});
