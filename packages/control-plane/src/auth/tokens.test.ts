import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenService } from './tokens.js';

const claims = { userId: '6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d', username: 'alice', role: 'user' as const };

test('a token verifies with its claims', async () => {
  const tokens = new TokenService('s'.repeat(32), 60_000);
  const { token, expiresAt } = await tokens.issue({ ...claims, tokenVersion: 3 }, 1_000_000_000_000);
  assert.ok(expiresAt.getTime() > 1_000_000_000_000);
  const fresh = await tokens.issue({ ...claims, tokenVersion: 3 });
  const check = await tokens.verify(fresh.token);
  assert.deepEqual(check, {
    ok: true,
    claims: { ...claims, tokenVersion: 3, expiresAt: new Date(Math.floor(fresh.expiresAt.getTime() / 1000) * 1000) },
  });
  assert.equal((await tokens.verify(token)).ok, false, 'long expired');
});

test('expiry allows 30 s of clock skew and no more', async () => {
  const tokens = new TokenService('s'.repeat(32), 60_000);
  const justExpired = await tokens.issue(claims, Date.now() - 60_000 - 20_000);
  assert.equal((await tokens.verify(justExpired.token)).ok, true);
  const expired = await tokens.issue(claims, Date.now() - 60_000 - 40_000);
  const check = await tokens.verify(expired.token);
  assert.equal(check.ok, false);
  assert.equal(!check.ok && check.reason, 'expired');
});

test('a token signed with another secret, or tampered with, is invalid', async () => {
  const ours = new TokenService('s'.repeat(32), 60_000);
  const theirs = new TokenService('t'.repeat(32), 60_000);
  const foreign = await theirs.issue(claims);
  const check = await ours.verify(foreign.token);
  assert.equal(!check.ok && check.reason, 'invalid');
  const { token } = await ours.issue(claims);
  const [header, payload, signature] = token.split('.');
  const promoted = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' }),
  ).toString('base64url');
  const tampered = await ours.verify(`${header}.${promoted}.${signature}`);
  assert.equal(!tampered.ok && tampered.reason, 'invalid');
  assert.equal((await ours.verify('not.a.jwt')).ok, false);
});
