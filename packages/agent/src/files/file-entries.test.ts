import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEntries } from './file-entries.js';

test("find's records become entries, directories first, names kept whole", () => {
  const output =
    'f\t12\t1700000000.5\tb.txt\0d\t4096\t1700000001.0\tDesktop\0l\t7\t1700000002\tname\twith tab\0p\t0\t0\tfifo\0';
  const { entries, truncated } = parseEntries(output, 10);
  assert.equal(truncated, false);
  assert.deepEqual(
    entries.map((e) => [e.name, e.type, e.size]),
    [
      ['Desktop', 'directory', 4096],
      ['b.txt', 'file', 12],
      ['fifo', 'other', 0],
      ['name\twith tab', 'symlink', 7],
    ],
  );
  assert.equal(entries.find((e) => e.name === 'b.txt')!.mtime, '2023-11-14T22:13:20.500Z');
  assert.equal(parseEntries(output, 2).truncated, true);
});
