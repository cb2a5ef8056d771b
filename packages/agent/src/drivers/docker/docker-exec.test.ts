import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ExecDemuxer } from './docker-exec.js';

const frame = (stream: number, payload: string) => {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([header, Buffer.from(payload)]);
};

test('frames split anywhere come out as stdout, with stderr kept aside', async () => {
  const all = Buffer.concat([frame(1, 'ready 11\n'), frame(2, 'a warning'), frame(1, 'hello'), frame(1, ' world')]);
  for (const size of [1, 3, 7, 8, 9, 64]) {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c));
    const demuxer = new ExecDemuxer(stdout);
    for (let at = 0; at < all.length; at += size) demuxer.write(all.subarray(at, at + size));
    await new Promise((resolve) => demuxer.end(resolve));
    assert.equal(out, 'ready 11\nhello world', `chunks of ${size}`);
    assert.equal(demuxer.stderr, 'a warning');
  }
});
