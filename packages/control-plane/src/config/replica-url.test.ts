import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { defaultReplicaUrl } from './replica-url.js';

test('a replica listening on one address is reached there', () => {
  assert.equal(defaultReplicaUrl('127.0.0.1', 8080), 'http://127.0.0.1:8080');
  assert.equal(defaultReplicaUrl('::1', 9000), 'http://[::1]:9000');
});

test('a replica listening on every interface is reached at its own non-loopback IPv4 address', () => {
  const own = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  assert.equal(defaultReplicaUrl('0.0.0.0', 8080), `http://${own ?? '127.0.0.1'}:8080`);
  assert.doesNotMatch(defaultReplicaUrl('::', 8080), own ? /127\.0\.0\.1/ : /^$/);
});
