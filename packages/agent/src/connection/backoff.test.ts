import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';

test('delays grow exponentially up to the cap, scaled by jitter, and reset after success', () => {
  const top = new Backoff(500, 30_000, () => 1);
  assert.deepEqual(
    Array.from({ length: 9 }, () => top.next()),
    [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
  );
  top.reset();
  assert.equal(top.next(), 500);
  const jittered = new Backoff(500, 30_000, () => 0.25);
  assert.deepEqual([jittered.next(), jittered.next()], [125, 250]);
});
