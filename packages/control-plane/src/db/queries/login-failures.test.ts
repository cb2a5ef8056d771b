import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delayAfter } from './login-failures.js';

const delays = { windowMs: 15 * 60_000, baseDelayMs: 2000, maxDelayMs: 5 * 60_000 };

test('no delay within the free attempts, then doubling from the base delay up to the cap', () => {
  assert.deepEqual(
    [0, 1, 4].map((n) => delayAfter(n, 5, delays)),
    [0, 0, 0],
  );
  assert.deepEqual(
    [5, 6, 7, 8].map((n) => delayAfter(n, 5, delays)),
    [2000, 4000, 8000, 16000],
  );
  assert.equal(delayAfter(12, 5, delays), 256_000);
  assert.equal(delayAfter(13, 5, delays), 5 * 60_000, 'capped');
  assert.equal(delayAfter(10_000, 5, delays), 5 * 60_000, 'no overflow far past the cap');
});
