import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { checkTotp, timeStepAt, totpUri, newTotpSecret } from './totp.js';

// RFC 6238 appendix B: the SHA-1 secret "12345678901234567890", base32, and its 8-digit codes
// (an authenticator shows the last six digits).
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: Array<[number, string]> = [
  [59, '287082'],
  [1111111109, '081804'],
  [1234567890, '005924'],
  [2000000000, '279037'],
];

test('RFC 6238 test vectors are accepted, each with its time step', async () => {
  for (const [seconds, code] of RFC_VECTORS) {
    assert.deepEqual(await checkTotp(RFC_SECRET, code, seconds * 1000, null), {
      ok: true,
      step: Math.floor(seconds / 30),
    });
  }
});

test('the window: one step either side of now is accepted, two steps are not', async () => {
  const secret = newTotpSecret();
  const now = 1_800_000_015_000;
  const codeAt = (stepOffset: number) => generate({ secret, epoch: now / 1000 + stepOffset * 30 });
  for (const offset of [-1, 0, 1]) {
    const check = await checkTotp(secret, await codeAt(offset), now, null);
    assert.deepEqual(check, { ok: true, step: timeStepAt(now) + offset }, `offset ${offset}`);
  }
  for (const offset of [-2, 2]) {
    assert.deepEqual(await checkTotp(secret, await codeAt(offset), now, null), { ok: false, reason: 'wrong' });
  }
});

test('a code is refused once its step, or a later one, was used', async () => {
  const secret = newTotpSecret();
  const now = 1_800_000_015_000;
  const step = timeStepAt(now);
  const code = await generate({ secret, epoch: now / 1000 });
  assert.deepEqual(await checkTotp(secret, code, now, step), { ok: false, reason: 'reused' });
  const previous = await generate({ secret, epoch: now / 1000 - 30 });
  assert.deepEqual(await checkTotp(secret, previous, now, step), { ok: false, reason: 'reused' });
  const next = await generate({ secret, epoch: now / 1000 + 30 });
  assert.deepEqual(await checkTotp(secret, next, now, step), { ok: true, step: step + 1 });
  // A last step beyond the window (a replica's clock ahead) refuses without throwing.
  assert.equal((await checkTotp(secret, code, now, step + 5)).ok, false);
});

test('anything but six digits is a wrong code, not an error', async () => {
  for (const code of ['', '12345', '1234567', 'abcdef', '12 345']) {
    assert.deepEqual(await checkTotp(RFC_SECRET, code, 59_000, null), { ok: false, reason: 'wrong' });
  }
});

test('the otpauth URI names the issuer and the user, and carries the secret', () => {
  const secret = newTotpSecret();
  assert.equal(secret.length, 32, '20 bytes in base32');
  const uri = new URL(totpUri(secret, 'alice'));
  assert.equal(uri.protocol, 'otpauth:');
  assert.match(decodeURIComponent(uri.pathname), /StreamSpace:alice$/);
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.equal(uri.searchParams.get('issuer'), 'StreamSpace');
});
