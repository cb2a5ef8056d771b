import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientAddress } from './client-address.js';

const request = (remoteAddress: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress },
    connection: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

test('without TRUST_PROXY the socket address counts and X-Forwarded-For is ignored', () => {
  assert.equal(clientAddress([])(request('127.0.0.1', '203.0.113.9')), '127.0.0.1');
});

test('a trusted proxy: the nearest address it did not add itself, not whatever the client claims', () => {
  const of = clientAddress(['127.0.0.1', '10.0.0.0/8']);
  assert.equal(of(request('127.0.0.1', '203.0.113.9')), '203.0.113.9');
  // The client forged the first entry; the trusted hops added the rest.
  assert.equal(of(request('127.0.0.1', '198.51.100.1, 203.0.113.9, 10.1.2.3')), '203.0.113.9');
  assert.equal(of(request('127.0.0.1')), '127.0.0.1', 'no header: the proxy itself');
});

test('an untrusted peer cannot set its address with X-Forwarded-For', () => {
  assert.equal(clientAddress(['10.0.0.0/8'])(request('192.0.2.7', '203.0.113.9')), '192.0.2.7');
});
