import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REASON_LENGTH, clipReason } from './agent-messages.js';

test('clipReason keeps short reasons and cuts long ones to the limit, marked with …', () => {
  assert.equal(clipReason('container exited with code 1'), 'container exited with code 1');
  const long = 'x'.repeat(3000);
  const clipped = clipReason(long);
  assert.equal(clipped.length, MAX_REASON_LENGTH);
  assert.ok(clipped.endsWith('…'));
  assert.equal(clipReason('x'.repeat(MAX_REASON_LENGTH)), 'x'.repeat(MAX_REASON_LENGTH), 'exactly the limit is kept');
});

test('clipReason never splits a surrogate pair (an emoji at the cut is dropped whole)', () => {
  // The emoji's high surrogate would be the last unit kept: it goes, with its low surrogate.
  const text = `${'a'.repeat(8)}😀${'b'.repeat(10)}`;
  const clipped = clipReason(text, 10);
  assert.equal(clipped, `${'a'.repeat(8)}…`);
  assert.doesNotThrow(() => encodeURIComponent(clipped), 'well-formed UTF-16');
  assert.equal(clipReason(`${'a'.repeat(7)}😀${'b'.repeat(10)}`, 10), `${'a'.repeat(7)}😀…`);
});
