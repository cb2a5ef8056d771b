import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TotpSecretBox } from './totp-secret-box.js';

const JWT_SECRET = 'jwt-secret-for-unit-tests-0123456789';
const ALICE = '6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d';
const BOB = '0b7a4a5e-52a8-4c39-9bc6-53c4a0f3d2a1';

test('a sealed secret opens for its user under the same JWT_SECRET, and shows nothing of itself', () => {
  const box = new TotpSecretBox(JWT_SECRET);
  const sealed = box.seal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', ALICE);
  assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.ok(!sealed.includes('JBSWY3DP'));
  assert.notEqual(box.seal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', ALICE), sealed, 'a fresh IV each time');
  assert.equal(new TotpSecretBox(JWT_SECRET).open(sealed, ALICE), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
});

test('another user, another key or a changed byte does not open it', () => {
  const box = new TotpSecretBox(JWT_SECRET);
  const sealed = box.seal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', ALICE);
  assert.equal(box.open(sealed, BOB), undefined, 'bound to the user id');
  assert.equal(new TotpSecretBox(`${JWT_SECRET}-rotated`).open(sealed, ALICE), undefined);
  const [v, iv, data, tag] = sealed.split('.');
  const flipped = Buffer.from(data!, 'base64url');
  flipped[0]! ^= 1;
  assert.equal(box.open([v, iv, flipped.toString('base64url'), tag].join('.'), ALICE), undefined);
  assert.equal(box.open('not sealed at all', ALICE), undefined);
});
