import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationResponseError, ResponseBodyError } from 'openid-client';
import { describeProviderError } from './oidc-errors.js';

const issuer = 'https://idp.example.com';
const oauthError = (body: Record<string, string>, status = 400) =>
  new ResponseBodyError('server responded with an error', {
    cause: body as never,
    response: new Response(JSON.stringify(body), { status }),
  });

test('provider answers become words for the user and a short reason for the audit log', () => {
  const denied = describeProviderError(
    new AuthorizationResponseError('authorization response error', {
      cause: new URLSearchParams({ error: 'access_denied', error_description: 'End-User aborted interaction' }),
    }),
    'token',
    issuer,
  );
  assert.equal(denied.reason, 'access_denied');
  assert.match(denied.message, /cancelled or refused at the identity provider \(access_denied: End-User aborted/);

  const client = describeProviderError(oauthError({ error: 'invalid_client' }, 401), 'token', issuer);
  assert.equal(client.reason, 'invalid_client');
  assert.match(client.message, /OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/);

  const grant = describeProviderError(oauthError({ error: 'invalid_grant' }), 'token', issuer);
  assert.match(grant.message, /used already or expired/);
});

test('an unreachable provider is named with the network error; a bad discovery points at OIDC_ISSUER_URL', () => {
  const refused = new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
  });
  const down = describeProviderError(refused, 'discovery', issuer);
  assert.equal(down.reason, 'provider unreachable (discovery: ECONNREFUSED)');
  assert.match(down.message, /https:\/\/idp\.example\.com cannot be reached \(ECONNREFUSED\)/);

  const timeout = describeProviderError(new DOMException('timed out', 'TimeoutError'), 'token', issuer);
  assert.match(timeout.message, /cannot be reached \(timed out\)/);

  const wrong = describeProviderError(
    new Error('"issuer" property does not match the expected value'),
    'discovery',
    issuer,
  );
  assert.match(wrong.message, /check OIDC_ISSUER_URL/);
});
