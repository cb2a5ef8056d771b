import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OidcSealer } from './oidc-sealer.js';

const secret = 'a-jwt-secret-of-at-least-32-characters!';
const state = { state: 's', nonce: 'n', verifier: 'v', returnTo: '/' };

test('a sealed login state opens with the same secret, for the same purpose only', async () => {
  const sealer = new OidcSealer(secret);
  const sealed = await sealer.seal('login-state', state, 60);
  assert.deepEqual(await new OidcSealer(secret).open('login-state', sealed), state, 'another replica opens it');
  assert.equal(await sealer.open('login-result', sealed), undefined, 'not as a login result');
  assert.equal(await new OidcSealer(`${secret}x`).open('login-state', sealed), undefined, 'another secret');
  assert.ok(
    !sealed.includes('verifier') && !Buffer.from(sealed.split('.')[3]!, 'base64url').toString().includes('"v"'),
  );
});

test('an altered, expired or missing seal opens to nothing', async () => {
  const sealer = new OidcSealer(secret);
  const sealed = await sealer.seal('login-result', { code: 'c' }, 60);
  const parts = sealed.split('.');
  parts[3] = `${parts[3]!.slice(0, -2)}AA`;
  assert.equal(await sealer.open('login-result', parts.join('.')), undefined);
  assert.equal(await sealer.open('login-result', undefined), undefined);
  assert.equal(await sealer.open('login-result', 'not a jwe'), undefined);
  const expired = await sealer.seal('login-result', { code: 'c' }, -60);
  assert.equal(await sealer.open('login-result', expired), undefined);
});
