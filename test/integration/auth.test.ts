import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { TokenService } from '@streamspace/control-plane';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { JWT_SECRET, startTestControlPlane } from '../support/control-plane.js';

forEachDatabase('authentication', (target) => {
  const stops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });
  const start = async (fresh: FreshDatabase, options: Parameters<typeof startTestControlPlane>[1]) => {
    const cp = await startTestControlPlane(fresh, options);
    return cp;
  };

  test('ADMIN_PASSWORD is authoritative at every start: a changed value replaces the stored hash', async () => {
    const fresh = await target.fresh();
    stops.push(() => fresh.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-auth-'));
    let cp = await start(fresh, { dataDir, env: { ADMIN_PASSWORD: 'first-password-1' } });
    await cp.login('admin', 'first-password-1');
    await cp.stop();

    cp = await start(fresh, { dataDir, env: { ADMIN_PASSWORD: 'second-password-2' } });
    stops.push(() => cp.stop());
    await cp.login('admin', 'second-password-2');
    const old = await cp.api('POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: 'first-password-1' },
      token: null,
    });
    assert.equal(old.status, 401);
    assert.ok(cp.logs.text.includes('Administrator updated to match ADMIN_PASSWORD'));
  });

  test('a restart with the same ADMIN_PASSWORD keeps a rotated password and a disabled bootstrap admin', async () => {
    const fresh = await target.fresh();
    stops.push(() => fresh.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-auth-'));
    const env = { ADMIN_PASSWORD: 'from-the-secret-1' };
    let cp = await start(fresh, { dataDir, env });
    cp.token = await cp.login('admin', 'from-the-secret-1');
    const me = (await cp.api('GET', '/api/v1/auth/me')).body.id as string;
    const rotated = await cp.api('PATCH', `/api/v1/users/${me}`, {
      body: { password: 'rotated-in-the-ui', current_password: 'from-the-secret-1' },
    });
    assert.equal(rotated.status, 200);
    await cp.stop();

    cp = await start(fresh, { dataDir, env });
    await cp.login('admin', 'rotated-in-the-ui');
    const reverted = await cp.api('POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: 'from-the-secret-1' },
      token: null,
    });
    assert.equal(reverted.status, 401, 'the rotation survived the restart');
    assert.equal(cp.cp.admin.kind === 'from-env' && cp.cp.admin.changed, false);

    // Another admin disables the bootstrap account; the same secret at restart leaves it disabled.
    cp.token = await cp.login('admin', 'rotated-in-the-ui');
    const otherToken = await cp.createUser('second-admin', 'admin');
    assert.equal(
      (await cp.api('PATCH', `/api/v1/users/${me}`, { token: otherToken, body: { disabled: true } })).status,
      200,
    );
    await cp.stop();
    cp = await start(fresh, { dataDir, env });
    const disabled = await cp.api('POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: 'rotated-in-the-ui' },
      token: null,
    });
    assert.equal(disabled.status, 401);
    assert.match(disabled.body.message, /disabled/);
    await cp.stop();

    // A new value in the secret is applied: password, enabled, admin.
    cp = await start(fresh, { dataDir, env: { ADMIN_PASSWORD: 'rotated-secret-2' } });
    stops.push(() => cp.stop());
    await cp.login('admin', 'rotated-secret-2');
    assert.ok(cp.logs.text.includes('Administrator updated to match ADMIN_PASSWORD'));
  });

  test('without ADMIN_PASSWORD the first start writes a random password to a 0600 file, once', async () => {
    const fresh = await target.fresh();
    stops.push(() => fresh.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-auth-'));
    let cp = await start(fresh, { dataDir, env: { ADMIN_PASSWORD: '' } });
    assert.equal(cp.cp.admin.kind, 'generated');
    const file = join(dataDir, 'admin-password');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const password = (await readFile(file, 'utf8')).trim();
    assert.ok(password.length >= 20);
    await cp.login('admin', password);
    assert.ok(!cp.logs.text.includes(password), 'the password itself is never logged');
    await cp.stop();

    cp = await start(fresh, { dataDir, env: { ADMIN_PASSWORD: '' } });
    stops.push(() => cp.stop());
    assert.equal(cp.cp.admin.kind, 'existing');
    await cp.login('admin', password);
  });

  test('wrong password and unknown user look the same to the client, not to the operator', async () => {
    const fresh = await target.fresh();
    stops.push(() => fresh.close());
    const cp = await start(fresh, {});
    stops.push(() => cp.stop());
    const wrong = await cp.api('POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: 'nope-nope' },
      token: null,
    });
    const unknown = await cp.api('POST', '/api/v1/auth/login', {
      body: { username: 'ghost', password: 'nope-nope' },
      token: null,
    });
    assert.deepEqual([wrong.status, unknown.status], [401, 401]);
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(wrong.body.message, 'Invalid username or password');
    assert.ok(cp.logs.text.includes('login failed: wrong password'));
    assert.ok(cp.logs.text.includes('login failed: unknown user'));
    assert.ok(!cp.logs.text.includes('nope-nope'), 'attempted passwords are not logged');
  });

  test('expired, forged and missing tokens are 401 with what to do', async () => {
    const fresh = await target.fresh();
    stops.push(() => fresh.close());
    const cp = await start(fresh, {});
    stops.push(() => cp.stop());
    const valid = await cp.login();
    const me = await cp.api('GET', '/api/v1/auth/me', { token: valid });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, 'admin');

    // Expired beyond the 30 s skew allowance, signed with the real secret.
    const expired = await new TokenService(JWT_SECRET, 60_000).issue(
      { userId: me.body.id, username: 'admin', role: 'admin' },
      Date.now() - 120_000,
    );
    const expiredResponse = await cp.api('GET', '/api/v1/sessions', { token: expired.token });
    assert.equal(expiredResponse.status, 401);
    assert.match(expiredResponse.body.message, /Token expired: log in again/);

    // Within the skew allowance a just-expired token still works (clock drift between replicas).
    const skewed = await new TokenService(JWT_SECRET, 60_000).issue(
      { userId: me.body.id, username: 'admin', role: 'admin' },
      Date.now() - 70_000,
    );
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token: skewed.token })).status, 200);

    const forged = await new SignJWT({ username: 'admin', role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(me.body.id)
      .setIssuer('streamspace')
      .setAudience('streamspace-api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('some-other-secret-some-other-secret'));
    const forgedResponse = await cp.api('GET', '/api/v1/sessions', { token: forged });
    assert.equal(forgedResponse.status, 401);
    assert.match(forgedResponse.body.message, /Token invalid/);
    const none = await cp.api('GET', '/api/v1/sessions', { token: null });
    assert.equal(none.status, 401);
    assert.match(none.body.message, /Missing bearer token/);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    assert.ok(cp.logs.text.includes('"reason":"expired"'));
    assert.ok(!cp.logs.text.includes(valid), 'tokens are never logged');
  });

  test('failed logins are rate-limited per user and per address, in the database', async () => {
    const fresh = await target.fresh();
    stops.push(() => fresh.close());
    const cp = await start(fresh, {
      start: { loginLimits: { windowMs: 60_000, maxPerUser: 3, maxPerIp: 6, baseDelayMs: 30_000 } },
    });
    stops.push(() => cp.stop());
    const attempt = (username: string, password = 'wrong-wrong') =>
      cp.api('POST', '/api/v1/auth/login', { body: { username, password }, token: null });
    for (let i = 0; i < 3; i++) assert.equal((await attempt('admin')).status, 401);
    const limited = await attempt('admin', 'admin-password-for-tests');
    assert.equal(limited.status, 429, 'even the right password waits once the user is limited');
    assert.match(limited.body.message, /Too many failed logins; try again in \d+ s/);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // Other usernames from the same address until the per-address allowance is used.
    for (let i = 0; i < 3; i++) assert.equal((await attempt(`other${i}`)).status, 401);
    assert.equal((await attempt('someone-else')).status, 429);
    const rows = await cp.cp.database.db.selectFrom('login_failures').selectAll().execute();
    assert.ok(
      rows.some((r) => r.key === 'user:admin' && r.failures === 3),
      JSON.stringify(rows),
    );
  });
});
