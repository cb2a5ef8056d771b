import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from './recovery-codes.js';

test('ten distinct codes of 16 base32 characters in groups of four', () => {
  const codes = newRecoveryCodes();
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const code of codes) {
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    assert.ok(looksLikeRecoveryCode(code));
  }
});

test('case, spaces, dashes and look-alike letters do not change the hash', () => {
  const [code] = newRecoveryCodes();
  const hash = hashRecoveryCode(code!);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(hashRecoveryCode(code!.toLowerCase().replaceAll('-', ' ')), hash);
  assert.equal(normaliseRecoveryCode('o1il-ABCD'), '0111ABCD');
  assert.notEqual(hashRecoveryCode(newRecoveryCodes()[0]!), hash);
});

test('a TOTP code or junk does not look like a recovery code', () => {
  for (const code of ['123456', '', 'ABCD-EFGH', 'ABCD-EFGH-JKMN-PQRS-T'])
    assert.equal(looksLikeRecoveryCode(code), false);
});
