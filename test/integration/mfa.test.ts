import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import {
  ADMIN_PASSWORD,
  startTestControlPlane,
  type TestControlPlane,
  type TestControlPlaneOptions,
} from '../support/control-plane.js';

// TOTP codes are checked against a clock the tests step by whole 30 s periods, so "the next code"
// needs no waiting; mfa_token expiry is the database's clock, moved by editing the row.
let clock = Date.now();
const nextPeriod = () => (clock += 30_000);
const codeFor = (secret: string) => generate({ secret, epoch: Math.floor(clock / 1000) });

forEachDatabase('TOTP two-factor', (target) => {
  // One control plane for most tests (each uses its own user), one more for MFA_REQUIRED.
  // Code attempts: 5 per user pass freely, then 30 s waits, so the throttle's 429 is not a race.
  const limits = { windowMs: 60_000, maxPerUser: 5, maxPerIp: 200, baseDelayMs: 30_000 };
  let cp: TestControlPlane;
  const stops: Array<() => Promise<void>> = [];
  const start = async (options: TestControlPlaneOptions = {}) => {
    const fresh: FreshDatabase = await target.fresh();
    stops.push(() => fresh.close());
    const started = await startTestControlPlane(fresh, {
      ...options,
      start: { loginLimits: limits, mfaClock: () => clock },
    });
    stops.push(() => started.stop());
    return started;
  };
  before(async () => {
    cp = await (await start()).loginAsAdmin();
  });
  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });
  const passwordStep = (cp: TestControlPlane, username: string, password: string) =>
    cp.api('POST', '/api/v1/auth/login', { body: { username, password }, token: null });
  const codeStep = (cp: TestControlPlane, mfaToken: string, code: string) =>
    cp.api('POST', '/api/v1/auth/mfa', { body: { mfa_token: mfaToken, code }, token: null });
  /** Enrolls the user of `token`; returns the secret and the recovery codes. */
  const enroll = async (cp: TestControlPlane, token: string) => {
    const begun = await cp.api('POST', '/api/v1/users/me/mfa/totp', { token });
    assert.equal(begun.status, 200, JSON.stringify(begun.body));
    const secret = begun.body.secret as string;
    nextPeriod();
    const confirmed = await cp.api('POST', '/api/v1/users/me/mfa/totp/confirm', {
      token,
      body: { code: await codeFor(secret) },
    });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    return { secret, recoveryCodes: confirmed.body.recovery_codes as string[] };
  };
  const idOf = async (cp: TestControlPlane, username: string) =>
    (
      await cp.cp.database.db
        .selectFrom('users')
        .select('id')
        .where('username', '=', username)
        .executeTakeFirstOrThrow()
    ).id;
  /** The audit entries about one user, oldest first. */
  const auditOf = async (cp: TestControlPlane, username: string) => {
    const id = await idOf(cp, username);
    const rows = await cp.cp.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', id)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ action: r.action, details: r.details }));
  };

  test('enroll, confirm, then logins need a code: wrong is 401, reused is refused, the next one works', async () => {
    const token = await cp.createUser('alice');
    const begun = await cp.api('POST', '/api/v1/users/me/mfa/totp', { token });
    assert.equal(begun.status, 200);
    assert.match(begun.body.secret, /^[A-Z2-7]{32}$/);
    assert.match(begun.body.otpauth_uri, /^otpauth:\/\/totp\/StreamSpace:alice\?/);
    // Pending: not in force until confirmed.
    assert.ok((await passwordStep(cp, 'alice', 'alice-password')).body.token);
    const wrongConfirm = await cp.api('POST', '/api/v1/users/me/mfa/totp/confirm', { token, body: { code: '000000' } });
    assert.equal(wrongConfirm.status, 400);
    assert.match(wrongConfirm.body.message, /Wrong code/);
    const secret = begun.body.secret as string;
    const confirmed = await cp.api('POST', '/api/v1/users/me/mfa/totp/confirm', {
      token,
      body: { code: await codeFor(secret) },
    });
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.body.recovery_codes.length, 10);
    const stored = await cp.cp.database.db.selectFrom('user_totp').selectAll().executeTakeFirstOrThrow();
    assert.ok(!stored.secret_encrypted.includes(secret), 'the secret is stored encrypted');
    const status = await cp.api('GET', '/api/v1/users/me/mfa', { token });
    assert.deepEqual(
      { ...status.body, enabled_at: typeof status.body.enabled_at },
      { totp_enabled: true, enabled_at: 'string', pending: false, recovery_codes_left: 10, required: false },
    );

    const step = await passwordStep(cp, 'alice', 'alice-password');
    assert.equal(step.status, 200);
    assert.equal(step.body.mfa_required, true);
    assert.equal(step.body.token, undefined, 'no session token before the code');
    const wrong = await codeStep(cp, step.body.mfa_token, '123456');
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.message, /Wrong code/);
    // The confirming code was used: it does not log in, even within its 30 s.
    const reused = await codeStep(cp, step.body.mfa_token, await codeFor(secret));
    assert.equal(reused.status, 401);
    assert.match(reused.body.message, /used already/);
    nextPeriod();
    const done = await codeStep(cp, step.body.mfa_token, await codeFor(secret));
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.user.username, 'alice');
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token: done.body.token })).status, 200);
    // That code cannot log in a second time either.
    const again = await passwordStep(cp, 'alice', 'alice-password');
    assert.equal((await codeStep(cp, again.body.mfa_token, await codeFor(secret))).status, 401);

    const audit = await auditOf(cp, 'alice');
    assert.ok(audit.some((a) => a.action === 'auth.mfa_enrolled'));
    assert.deepEqual(
      audit.filter((a) => a.action === 'auth.mfa_failed').map((a) => a.details),
      [
        { step: 'confirm', reason: 'wrong_code' },
        { step: 'login', reason: 'wrong_code' },
        { step: 'login', reason: 'reused_code' },
        { step: 'login', reason: 'reused_code' },
      ],
    );
    assert.deepEqual(audit.filter((a) => a.action === 'auth.login').at(-1)!.details, { mfa: true, method: 'totp' });
    assert.ok(!cp.logs.text.includes(secret), 'the secret is never logged');
  });

  test('a recovery code works in place of a code, once', async () => {
    const { recoveryCodes } = await enroll(cp, await cp.createUser('bob'));
    const first = await passwordStep(cp, 'bob', 'bob-password');
    const used = await codeStep(cp, first.body.mfa_token, recoveryCodes[0]!);
    assert.equal(used.status, 200, JSON.stringify(used.body));
    const second = await passwordStep(cp, 'bob', 'bob-password');
    const refused = await codeStep(cp, second.body.mfa_token, recoveryCodes[0]!);
    assert.equal(refused.status, 401);
    assert.match(refused.body.message, /recovery code is wrong or was used already/);
    assert.equal((await codeStep(cp, second.body.mfa_token, recoveryCodes[1]!.toLowerCase())).status, 200);
    const audit = await auditOf(cp, 'bob');
    assert.deepEqual(
      audit.filter((a) => a.action === 'auth.mfa_recovery_code_used').map((a) => a.details),
      [{ codes_left: 9 }, { codes_left: 8 }],
    );
    assert.deepEqual(audit.filter((a) => a.action === 'auth.login').at(-1)!.details, {
      mfa: true,
      method: 'recovery_code',
    });
  });

  test('an mfa_token is single use, expires, and is not a bearer token', async () => {
    const { secret } = await enroll(cp, await cp.createUser('carol'));
    const step = await passwordStep(cp, 'carol', 'carol-password');
    const mfaToken = step.body.mfa_token as string;
    assert.ok(Date.parse(step.body.expires_at) - Date.now() <= 5 * 60_000 + 5_000, 'short-lived');
    const asBearer = await cp.api('GET', '/api/v1/auth/me', { token: mfaToken });
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.body.message, /Token invalid/);
    nextPeriod();
    assert.equal((await codeStep(cp, mfaToken, await codeFor(secret))).status, 200);
    nextPeriod();
    const replayed = await codeStep(cp, mfaToken, await codeFor(secret));
    assert.equal(replayed.status, 401);
    assert.match(replayed.body.message, /mfa_token expired, used or unknown: log in again/);

    const late = await passwordStep(cp, 'carol', 'carol-password');
    await cp.cp.database.db
      .updateTable('mfa_challenges')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('user_id', '=', await idOf(cp, 'carol'))
      .where('used_at', 'is', null)
      .execute();
    const expired = await codeStep(cp, late.body.mfa_token, await codeFor(secret));
    assert.equal(expired.status, 401);
    assert.match(expired.body.message, /mfa_token expired/);
    assert.ok(!cp.logs.text.includes(mfaToken), 'mfa_tokens are never logged');
  });

  test('code guessing is throttled per user with 429 and Retry-After', async () => {
    const { secret } = await enroll(cp, await cp.createUser('dave'));
    const step = await passwordStep(cp, 'dave', 'dave-password');
    for (const guess of ['111111', '222222', '333333', '444444', '555555']) {
      assert.equal((await codeStep(cp, step.body.mfa_token, guess)).status, 401);
    }
    nextPeriod();
    const limited = await codeStep(cp, step.body.mfa_token, await codeFor(secret));
    assert.equal(limited.status, 429, 'even the right code waits once the user is limited');
    assert.match(limited.body.message, /Too many wrong codes; try again in \d+ s/);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // A right password again does not buy more guesses: codes are counted apart.
    const fresh = await passwordStep(cp, 'dave', 'dave-password');
    assert.equal((await codeStep(cp, fresh.body.mfa_token, '666666')).status, 429);
  });

  test('MFA_REQUIRED=admins: an admin without two-factor can only enroll until done; users are not held', async () => {
    const cp = await start({ env: { MFA_REQUIRED: 'admins' } });
    const login = await passwordStep(cp, 'admin', ADMIN_PASSWORD);
    assert.equal(login.status, 200);
    assert.equal(login.body.mfa_enrollment_required, true);
    const token = login.body.token as string;
    const blocked = await cp.api('GET', '/api/v1/sessions', { token });
    assert.equal(blocked.status, 403);
    assert.equal(blocked.body.error, 'mfa_enrollment_required');
    assert.match(blocked.body.message, /Set up two-factor authentication first/);
    assert.equal((await cp.api('GET', '/api/v1/users', { token })).status, 403);
    assert.equal((await cp.api('GET', '/api/v1/auth/me', { token })).status, 200);
    assert.equal((await cp.api('GET', '/api/v1/users/me/mfa', { token })).body.required, true);

    const { secret } = await enroll(cp, token);
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token })).status, 200, 'enrolled: free to go');
    cp.token = token;
    const userToken = await cp.createUser('erin');
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token: userToken })).status, 200);

    const next = await passwordStep(cp, 'admin', ADMIN_PASSWORD);
    assert.equal(next.body.mfa_required, true);
    nextPeriod();
    assert.equal((await codeStep(cp, next.body.mfa_token, await codeFor(secret))).status, 200);
    const audit = await auditOf(cp, 'admin');
    assert.deepEqual(audit.find((a) => a.action === 'auth.login')!.details, { mfa_enrollment_required: true });
  });

  test('an admin resets a user’s two-factor: audited, their logins revoked; turning it off yourself needs proof', async () => {
    const token = await cp.createUser('frank');
    await enroll(cp, token);
    const list = await cp.api('GET', '/api/v1/users');
    const flag = (name: string) => list.body.find((u: { username: string }) => u.username === name).mfa_enabled;
    assert.deepEqual([flag('admin'), flag('frank')], [false, true]);
    const frank = await idOf(cp, 'frank');
    const asUser = await cp.api('DELETE', `/api/v1/users/${frank}/mfa`, { token });
    assert.equal(asUser.status, 403);
    assert.equal((await cp.api('DELETE', `/api/v1/users/${frank}/mfa`)).status, 204);
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token })).status, 401, 'logins revoked');
    assert.equal((await cp.api('DELETE', `/api/v1/users/${frank}/mfa`)).status, 409);
    const audit = await auditOf(cp, 'frank');
    assert.deepEqual(
      audit.filter((a) => a.action === 'user.mfa_reset').map((a) => a.details),
      [{ username: 'frank' }],
    );
    const plain = await passwordStep(cp, 'frank', 'frank-password');
    assert.ok(plain.body.token, 'a password alone logs in again');

    // Turning it off yourself: a wrong code or password is 403, a right one turns it off.
    const again = await enroll(cp, plain.body.token);
    const off = (body: unknown) => cp.api('DELETE', '/api/v1/users/me/mfa/totp', { token: plain.body.token, body });
    assert.equal((await off({})).status, 400);
    assert.equal((await off({ code: '000000' })).status, 403);
    assert.equal((await off({ password: 'not-it' })).status, 403);
    nextPeriod();
    assert.equal((await off({ code: await codeFor(again.secret) })).status, 204);
    assert.ok((await passwordStep(cp, 'frank', 'frank-password')).body.token);
    await enroll(cp, plain.body.token);
    assert.equal((await off({ password: 'frank-password' })).status, 204);
    assert.deepEqual(
      (await auditOf(cp, 'frank')).filter((a) => a.action === 'auth.mfa_disabled').map((a) => a.details),
      [{ proof: 'totp' }, { proof: 'password' }],
    );
  });
});
