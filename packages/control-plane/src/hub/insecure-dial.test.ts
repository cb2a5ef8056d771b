import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insecureDialHost } from './insecure-dial.js';

const dial = (host: string, headers: Record<string, string> = {}, encrypted = false) =>
  insecureDialHost({ headers: { host, ...headers }, socket: { encrypted } as never });

test('plain ws:// to a non-loopback host is reported; loopback, TLS and a TLS-terminating proxy are not', () => {
  assert.equal(dial('cp.example.com:8080'), 'cp.example.com:8080');
  assert.equal(dial('10.0.0.5'), '10.0.0.5');
  for (const host of ['localhost:8080', '127.0.0.1:9000', '[::1]:8080']) assert.equal(dial(host), undefined, host);
  assert.equal(dial('cp.example.com', {}, true), undefined);
  assert.equal(dial('cp.example.com', { 'x-forwarded-proto': 'https' }), undefined);
});
