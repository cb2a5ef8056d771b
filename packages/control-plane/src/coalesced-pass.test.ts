import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescedPass } from './coalesced-pass.js';

test('calls during a pass coalesce into one more pass', async () => {
  let passes = 0;
  let release!: () => void;
  const pass = new CoalescedPass(async () => {
    passes++;
    if (passes === 1) await new Promise<void>((resolve) => (release = resolve));
  });
  const first = pass.run();
  const waiting = [pass.run(), pass.run(), pass.run()];
  assert.ok(pass.inFlight);
  release();
  await Promise.all([first, ...waiting]);
  assert.equal(passes, 2);
  assert.equal(pass.inFlight, undefined);
  await pass.run();
  assert.equal(passes, 3);
});
