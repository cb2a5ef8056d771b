import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAgentFrame, decodeControlPlaneFrame, encodeFrame } from './frame-codec.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from './version.js';

const SESSION = '6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d';
const register = {
  agent_id: 'docker-1',
  platform: 'docker',
  version: '0.1.0',
  capacity: { max_sessions: 2, max_cpu: 0, max_memory_gb: 0 },
  sessions: [{ session_id: SESSION, state: 'running' }],
};

test('a valid register frame decodes to a typed message', () => {
  const decoded = decodeAgentFrame(JSON.stringify({ v: PROTOCOL_VERSION, type: 'register', payload: register }));
  assert.deepEqual(decoded, { ok: true, message: { type: 'register', payload: register } });
});

test('encodeFrame round-trips through the decoder of the other end', () => {
  const frame = encodeFrame({
    type: 'command',
    payload: { command_id: SESSION, type: 'start_session', session_id: SESSION, payload: {} },
  });
  const decoded = decodeControlPlaneFrame(frame);
  assert.equal(decoded.ok, true);
});

test('each kind of bad frame gets an error code and a message naming the problem', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['{nope', 'invalid_json', /not JSON/],
    ['[1,2]', 'invalid_envelope', /one JSON object/],
    [
      JSON.stringify({ v: 99, type: 'register', payload: register }),
      'unsupported_version',
      /expected protocol version 1, got 99/,
    ],
    [JSON.stringify({ v: 1, type: 7, payload: {} }), 'invalid_envelope', /type: must be a string/],
    [JSON.stringify({ v: 1, type: 'launch', payload: {} }), 'unknown_type', /unknown agent message "launch".*register/],
    [
      JSON.stringify({ v: 1, type: 'register', payload: { ...register, platform: 'vm' } }),
      'invalid_payload',
      /^register\.platform: /,
    ],
    [
      JSON.stringify({
        v: 1,
        type: 'heartbeat',
        payload: { capacity: register.capacity, used: { sessions: -1, cpu: 0, memory_gb: 0 } },
      }),
      'invalid_payload',
      /^heartbeat\.used\.sessions: /,
    ],
    [
      JSON.stringify({ v: 1, type: 'session_status', payload: { session_id: 'not-a-uuid', state: 'running' } }),
      'invalid_payload',
      /^session_status\.session_id: /,
    ],
    ['x'.repeat(MAX_FRAME_BYTES + 1), 'frame_too_large', /exceeds the 1048576-byte limit/],
  ];
  for (const [frame, code, message] of cases) {
    const decoded = decodeAgentFrame(frame);
    assert.equal(decoded.ok, false, frame.slice(0, 80));
    if (!decoded.ok) {
      assert.equal(decoded.error.code, code, frame.slice(0, 80));
      assert.match(decoded.error.message, message);
    }
  }
});

test('extra fields are refused rather than silently ignored', () => {
  const decoded = decodeAgentFrame(
    JSON.stringify({ v: 1, type: 'command_ack', payload: { command_id: SESSION, extra: true } }),
  );
  assert.equal(decoded.ok, false);
});
