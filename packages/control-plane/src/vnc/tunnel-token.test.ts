import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { addTunnelToken, deriveTunnelKey, tunnelToken, tunnelTokenMatches } from './tunnel-token.js';

const SECRET = 'a-secret-shared-by-every-replica-0123456789';
const ID = '6f1c2a8e-3d4b-4c5d-9e6f-7a8b9c0d1e2f';
const AGENT = '0b7a1f3c-5e2d-4a6b-8c9d-1e2f3a4b5c6d';
const OTHER_AGENT = '1c8b2f4d-6f3e-4b7c-9dae-2f3a4b5c6d7e';

test('a tunnel token is checked by recomputing it: right id, agent and secret only', () => {
  const token = tunnelToken(SECRET, ID, AGENT);
  assert.ok(tunnelTokenMatches(SECRET, ID, AGENT, token));
  assert.ok(!tunnelTokenMatches(SECRET, ID.replace('6f', '70'), AGENT, token), 'another tunnel');
  assert.ok(!tunnelTokenMatches(SECRET, ID, OTHER_AGENT, token), "another agent's session");
  assert.ok(!tunnelTokenMatches(`${SECRET}x`, ID, AGENT, token), 'another secret');
  assert.ok(!tunnelTokenMatches(SECRET, ID, AGENT, token.slice(1)), 'truncated');
  assert.ok(!tunnelTokenMatches(SECRET, ID, AGENT, ''), 'missing');
});

test('only open_tunnel commands get a token, and only on their way to the agent', () => {
  const complete = addTunnelToken(SECRET);
  const stored = { tunnel_id: ID };
  assert.deepEqual(complete('open_tunnel', stored, AGENT), { tunnel_id: ID, token: tunnelToken(SECRET, ID, AGENT) });
  assert.deepEqual(stored, { tunnel_id: ID }, 'the stored payload is not changed');
  assert.deepEqual(complete('stop_session', { a: 1 }, AGENT), { a: 1 });
});

test('the tunnel key is HKDF-SHA256 of JWT_SECRET, not JWT_SECRET itself', () => {
  const key = deriveTunnelKey(SECRET);
  assert.deepEqual(key, Buffer.from(hkdfSync('sha256', SECRET, 'streamspace', 'vnc-tunnel-token v1', 32)));
  assert.notDeepEqual(key, Buffer.from(SECRET));
  const plain = createHmac('sha256', SECRET).update(`vnc-tunnel\0${ID}\0${AGENT}`).digest('base64url');
  assert.notEqual(tunnelToken(key, ID, AGENT), plain, 'a token made with the login-token key is not a tunnel token');
  assert.ok(!tunnelTokenMatches(key, ID, AGENT, plain));
});
