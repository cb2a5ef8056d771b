import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatByteSize, parseByteSize } from './byte-size.js';

test('sizes parse in binary and decimal units and print in binary ones', () => {
  assert.equal(parseByteSize('1GiB'), 1024 ** 3);
  assert.equal(parseByteSize('500 MiB'), 500 * 1024 ** 2);
  assert.equal(parseByteSize('2GB'), 2e9);
  assert.equal(parseByteSize('1048576'), 1048576);
  assert.equal(parseByteSize('1.5k'), 1536);
  assert.equal(parseByteSize('lots'), undefined);
  assert.equal(parseByteSize('5 parsecs'), undefined);
  assert.equal(formatByteSize(1024 ** 3), '1GiB');
  assert.equal(formatByteSize(1.5 * 1024 ** 2), '1.5MiB');
  assert.equal(formatByteSize(512), '512B');
});
