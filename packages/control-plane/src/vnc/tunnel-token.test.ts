import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { addTunnelToken, deriveTunnelKey, tunnelToken, tunnelTokenMatches } from './tunnel-token.js';

const SECRET = 'a-secret-shared-by-every-replica-0123456789';
const ID = '6f1c2a8e-3d4b-4c5d-9e6f-7a8b9c0d1e2f';

test('a tunnel token is checked by recomputing it: right id and secret only', () => {
  const token = tunnelToken(SECRET, ID);
  assert.ok(tunnelTokenMatches(SECRET, ID, token));
  assert.ok(!tunnelTokenMatches(SECRET, ID.replace('6f', '70'), token), 'another tunnel');
  assert.ok(!tunnelTokenMatches(`${SECRET}x`, ID, token), 'another secret');
  assert.ok(!tunnelTokenMatches(SECRET, ID, token.slice(1)), 'truncated');
  assert.ok(!tunnelTokenMatches(SECRET, ID, ''), 'missing');
});

test('only open_tunnel commands get a token, and only on their way to the agent', () => {
  const complete = addTunnelToken(SECRET);
  const stored = { tunnel_id: ID };
  assert.deepEqual(complete('open_tunnel', stored), { tunnel_id: ID, token: tunnelToken(SECRET, ID) });
  assert.deepEqual(stored, { tunnel_id: ID }, 'the stored payload is not changed');
  assert.deepEqual(complete('stop_session', { a: 1 }), { a: 1 });
});

test('the tunnel key is HKDF-SHA256 of JWT_SECRET, not JWT_SECRET itself', () => {
  const key = deriveTunnelKey(SECRET);
  assert.deepEqual(key, Buffer.from(hkdfSync('sha256', SECRET, 'streamspace', 'vnc-tunnel-token v1', 32)));
  assert.notDeepEqual(key, Buffer.from(SECRET));
  const plain = createHmac('sha256', SECRET).update(`vnc-tunnel\0${ID}`).digest('base64url');
  assert.notEqual(tunnelToken(key, ID), plain, 'a token made with the login-token key is not a tunnel token');
  assert.ok(!tunnelTokenMatches(key, ID, plain));
});
