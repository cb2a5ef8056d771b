import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCommandPayload } from './command-payloads.js';
import { vncCloseIsRetryable, VncClose } from './vnc-close.js';
import { decodeAgentFrame } from './frame-codec.js';
import { PROTOCOL_VERSION } from './version.js';

test('adopt_session needs the previous owner; the problem names the field', () => {
  assert.deepEqual(checkCommandPayload('adopt_session', { from_agent_id: 'docker-1' }), {
    ok: true,
    payload: { from_agent_id: 'docker-1' },
  });
  const missing = checkCommandPayload('adopt_session', {});
  assert.equal(missing.ok, false);
  assert.match(!missing.ok ? missing.problem : '', /^adopt_session payload \(payload\): .*from_agent_id/);
  const bad = checkCommandPayload('open_tunnel', { tunnel_id: 'x', token: 't' });
  assert.match(!bad.ok ? bad.problem : '', /^open_tunnel payload tunnel_id: /);
});

test('start_session carries a whole template; resume may carry none', () => {
  const template = {
    name: 'xterm',
    image: 'streamspace/xterm:latest',
    vnc_port: 5900,
    cpu_limit: 0.5,
    memory_limit_mb: 512,
    env: {},
    persistent_home: true,
  };
  assert.equal(checkCommandPayload('start_session', { user: 'alice', template }).ok, true);
  assert.equal(checkCommandPayload('start_session', { user: 'alice' }).ok, false);
  assert.equal(checkCommandPayload('resume_session', {}).ok, true);
});

test('register from an agent that predates pools still decodes; a pool name is bounded', () => {
  const register = {
    agent_id: 'old',
    platform: 'docker',
    version: '0.0.9',
    capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
    sessions: [],
  };
  const frame = (payload: object) => JSON.stringify({ v: PROTOCOL_VERSION, type: 'register', payload });
  assert.equal(decodeAgentFrame(frame(register)).ok, true);
  assert.equal(decodeAgentFrame(frame({ ...register, pool: 'docker:host-1' })).ok, true);
  const tooLong = decodeAgentFrame(frame({ ...register, pool: 'x'.repeat(501) }));
  assert.equal(tooLong.ok, false);
});

test('a viewer retries after losing its agent or replica, never after a final close', () => {
  for (const name of ['AgentOffline', 'StreamEnded', 'TunnelTimeout', 'ShuttingDown'] as const) {
    assert.equal(vncCloseIsRetryable(VncClose[name].code), true, name);
  }
  assert.equal(vncCloseIsRetryable(1006), true);
  for (const name of ['SessionStopped', 'SessionNotFound', 'Forbidden', 'TicketInvalid', 'IdleTimeout'] as const) {
    assert.equal(vncCloseIsRetryable(VncClose[name].code), false, name);
  }
  assert.equal(vncCloseIsRetryable(1000), false);
});
