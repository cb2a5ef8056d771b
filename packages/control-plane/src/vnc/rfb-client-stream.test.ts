import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RfbClientStream, RfbProtocolError } from './rfb-client-stream.js';

const HANDSHAKE = Buffer.concat([Buffer.from('RFB 003.008\n', 'latin1'), Buffer.from([1]), Buffer.from([1])]);

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const s32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** One of each client message noVNC sends, with whether a view-only viewer's goes on. */
const MESSAGES: { name: string; bytes: Buffer; view: boolean; input: boolean }[] = [
  {
    name: 'SetPixelFormat',
    bytes: Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.alloc(16, 7)]),
    view: true,
    input: false,
  },
  {
    name: 'SetEncodings',
    bytes: Buffer.concat([Buffer.from([2, 0]), u16(3), s32(0), s32(-223), s32(0xc0a1e5ce | 0)]),
    view: true,
    input: false,
  },
  { name: 'FramebufferUpdateRequest', bytes: Buffer.from([3, 1, 0, 0, 0, 0, 4, 0, 3, 0]), view: true, input: false },
  { name: 'KeyEvent', bytes: Buffer.from([4, 1, 0, 0, 0, 0, 0xff, 0x0d]), view: false, input: true },
  { name: 'PointerEvent', bytes: Buffer.from([5, 1, 0, 10, 0, 20]), view: false, input: true },
  {
    name: 'ClientCutText',
    bytes: Buffer.concat([Buffer.from([6, 0, 0, 0]), s32(5), Buffer.from('hello')]),
    view: false,
    input: false,
  },
  {
    name: 'ClientCutText (extended clipboard, negative length)',
    bytes: Buffer.concat([Buffer.from([6, 0, 0, 0]), s32(-8), s32(0x01000001 | 0), s32(0x100)]),
    view: false,
    input: false,
  },
  { name: 'EnableContinuousUpdates', bytes: Buffer.from([150, 1, 0, 0, 0, 0, 4, 0, 3, 0]), view: true, input: false },
  {
    name: 'Fence',
    bytes: Buffer.concat([Buffer.from([248, 0, 0, 0]), s32(0x80000007 | 0), Buffer.from([3, 9, 9, 9])]),
    view: true,
    input: false,
  },
  { name: 'xvp', bytes: Buffer.from([250, 0, 1, 2]), view: false, input: false },
  {
    name: 'SetDesktopSize',
    bytes: Buffer.concat([Buffer.from([251, 0]), u16(1024), u16(768), Buffer.from([1, 0]), Buffer.alloc(16, 1)]),
    view: false,
    input: false,
  },
  {
    name: 'QEMU extended key event',
    bytes: Buffer.concat([Buffer.from([255, 0]), u16(1), s32(0x61), s32(30)]),
    view: false,
    input: true,
  },
];

function run(mode: 'control' | 'view', chunks: Buffer[]) {
  const stream = new RfbClientStream(mode);
  const out: Buffer[] = [];
  let input = false;
  for (const chunk of chunks) input = stream.push(chunk, (part) => out.push(part)) || input;
  return { bytes: Buffer.concat(out), input, out };
}

/** The same bytes cut into two chunks at every offset, and into single bytes. */
function* splits(bytes: Buffer) {
  for (let at = 0; at <= bytes.length; at++) yield [bytes.subarray(0, at), bytes.subarray(at)];
  yield [...bytes].map((b) => Buffer.from([b]));
}

for (const message of MESSAGES) {
  test(`${message.name}: control forwards it, view ${message.view ? 'forwards' : 'drops'} it, split at every byte`, () => {
    const all = Buffer.concat([HANDSHAKE, message.bytes, MESSAGES[2]!.bytes]);
    const viewExpected = Buffer.concat([HANDSHAKE, ...(message.view ? [message.bytes] : []), MESSAGES[2]!.bytes]);
    for (const chunks of splits(all)) {
      const control = run('control', chunks);
      assert.deepEqual(control.bytes, all);
      assert.equal(control.input, message.input);
      assert.deepEqual(run('view', chunks).bytes, viewExpected);
    }
  });
}

test('all messages in one stream: control passes every chunk itself; view keeps only what watching needs', () => {
  const all = Buffer.concat([HANDSHAKE, ...MESSAGES.map((m) => m.bytes)]);
  const control = run('control', [all]);
  assert.equal(control.out.length, 1);
  assert.equal(control.out[0], all, 'the original chunk, not a copy');
  const expected = Buffer.concat([HANDSHAKE, ...MESSAGES.filter((m) => m.view).map((m) => m.bytes)]);
  for (const chunks of splits(all)) assert.deepEqual(run('view', chunks).bytes, expected);
});

test('RFB 3.3 viewers send no security type', () => {
  const all = Buffer.concat([Buffer.from('RFB 003.003\n', 'latin1'), Buffer.from([1]), MESSAGES[3]!.bytes]);
  assert.equal(run('control', [all]).input, true);
  assert.deepEqual(run('view', [all]).bytes, all.subarray(0, 13));
});

test('an unknown message type, a bad QEMU subtype, an oversized Fence and a bad handshake are protocol errors', () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.concat([HANDSHAKE, Buffer.from([7, 0, 0, 0])]), /unknown client message type 7/],
    [Buffer.concat([HANDSHAKE, Buffer.from([255, 1, 0, 0])]), /unknown QEMU client message subtype 1/],
    [Buffer.concat([HANDSHAKE, Buffer.from([248, 0, 0, 0, 0, 0, 0, 0, 65])]), /Fence payload of 65 bytes/],
    [Buffer.from('GET / HTTP/1.1\r\n'), /unsupported ProtocolVersion/],
    [Buffer.concat([Buffer.from('RFB 003.008\n', 'latin1'), Buffer.from([2])]), /security type 2 was not offered/],
  ];
  for (const [bytes, message] of cases) {
    for (const mode of ['control', 'view'] as const) {
      const stream = new RfbClientStream(mode);
      const out: Buffer[] = [];
      assert.throws(
        () => stream.push(bytes, (p) => out.push(p)),
        (e: Error) => e instanceof RfbProtocolError && message.test(e.message),
      );
      if (mode === 'control') assert.equal(out.length, 0, 'nothing of a bad chunk is forwarded');
      assert.throws(() => stream.push(Buffer.from([3]), () => undefined), RfbProtocolError);
    }
  }
});

test('a large ClientCutText body split across many chunks is skipped without being held', () => {
  const text = Buffer.alloc(100_000, 0x61);
  const all = Buffer.concat([HANDSHAKE, Buffer.from([6, 0, 0, 0]), s32(text.length), text, MESSAGES[4]!.bytes]);
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += 1000) chunks.push(all.subarray(at, at + 1000));
  assert.deepEqual(run('control', chunks).bytes, all);
  assert.equal(run('control', chunks).input, true);
  assert.deepEqual(run('view', chunks).bytes, HANDSHAKE);
});
