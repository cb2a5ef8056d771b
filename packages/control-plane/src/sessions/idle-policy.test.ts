import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activityWriteMs, idleReason, lifetimeReason } from './idle-policy.js';

test("reasons are written in the timeout's own terms", () => {
  assert.equal(idleReason(30 * 60_000), 'idle for 30m');
  assert.equal(lifetimeReason(8 * 3_600_000), 'reached its maximum lifetime of 8h');
  assert.equal(lifetimeReason(7 * 86_400_000), 'reached its maximum lifetime of 7d');
});

test('activity is written once a minute, or a tenth of a shorter idle timeout', () => {
  assert.equal(activityWriteMs(30 * 60_000), 60_000);
  assert.equal(activityWriteMs(0), 60_000);
  assert.equal(activityWriteMs(4000), 400);
  assert.equal(activityWriteMs(500), 100);
});
