import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setImmediate as turnEnds } from 'node:timers/promises';
import { burstWrites } from './burst-writes.js';

/** A real Writable: what reaches its _writev/_write and when. */
function recorder() {
  const calls: string[][] = [];
  const sink = new PassThrough();
  sink._write = (chunk: Buffer, _encoding, done) => (calls.push([chunk.toString()]), done());
  sink._writev = (chunks, done) => (calls.push(chunks.map((c) => (c.chunk as Buffer).toString())), done());
  return { sink, calls };
}

test('the first write of a turn leaves at once; the rest of the turn leaves together when it ends', async () => {
  const { sink, calls } = recorder();
  const beforeWrite = burstWrites(sink);
  for (const part of ['a', 'b', 'c']) {
    beforeWrite();
    sink.write(part);
  }
  assert.deepEqual(calls, [['a']], 'b and c are held while the turn reads');
  await turnEnds();
  assert.deepEqual(calls, [['a'], ['b', 'c']], 'one writev for the held writes');
  assert.equal(sink.writableCorked, 0, 'nothing stays corked after the turn');
});

test('a lone write in a later turn is not held', async () => {
  const { sink, calls } = recorder();
  const beforeWrite = burstWrites(sink);
  beforeWrite();
  sink.write('x');
  await turnEnds();
  beforeWrite();
  sink.write('y');
  assert.deepEqual(calls, [['x'], ['y']]);
  assert.equal(sink.writableCorked, 0);
});
