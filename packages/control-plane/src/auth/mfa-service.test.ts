import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';
import { generate } from 'otplib';
import { fromPGlite, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { insertUser } from '../db/queries/users.js';
import { MfaService } from './mfa-service.js';
import { TotpSecretBox } from './totp-secret-box.js';

// The flows on a real (in-memory) database: "once only" is the database's decision.
let database: Database;
let clock = 1_800_000_015_000;
let mfa: MfaService;
const codeAt = (secret: string, ms = clock) => generate({ secret, epoch: Math.floor(ms / 1000) });

before(async () => {
  database = fromPGlite(await PGlite.create());
  await migrate(database);
  mfa = new MfaService({
    db: database.db,
    box: new TotpSecretBox('jwt-secret-for-unit-tests-0123456789'),
    required: 'none',
    now: () => clock,
  });
});
after(() => database.close());

let n = 0;
async function enrolledUser() {
  const user = await insertUser(database.db, { username: `u${++n}`, password_hash: 'x', role: 'user' });
  const { secret } = (await mfa.begin(user))!;
  const confirmed = await mfa.confirm(user.id, await codeAt(secret));
  assert.ok(confirmed.ok);
  return { user, secret, recoveryCodes: confirmed.recoveryCodes };
}

test('enrollment stays pending until a code confirms it; the secret is stored sealed', async () => {
  const user = await insertUser(database.db, { username: 'pending', password_hash: 'x', role: 'user' });
  const { secret, otpauth_uri } = (await mfa.begin(user))!;
  assert.match(otpauth_uri, /^otpauth:\/\/totp\//);
  assert.deepEqual(await mfa.status(user.id), {
    totp_enabled: false,
    enabled_at: null,
    pending: true,
    recovery_codes_left: 0,
  });
  assert.equal(await mfa.isEnabled(user.id), false);
  const row = await database.db.selectFrom('user_totp').selectAll().where('user_id', '=', user.id).executeTakeFirst();
  assert.ok(row && !row.secret_encrypted.includes(secret));
  assert.deepEqual(await mfa.confirm(user.id, '000000'), { ok: false, reason: 'wrong_code' });
  const confirmed = await mfa.confirm(user.id, await codeAt(secret));
  assert.ok(confirmed.ok && confirmed.recoveryCodes.length === 10);
  assert.deepEqual(await mfa.confirm(user.id, await codeAt(secret)), { ok: false, reason: 'already_enabled' });
  assert.equal(await mfa.begin(user), undefined, 'a confirmed enrollment is not replaced');
  const stored = await database.db
    .selectFrom('mfa_recovery_codes')
    .select('code_hash')
    .where('user_id', '=', user.id)
    .execute();
  assert.equal(stored.length, 10);
  assert.ok(
    stored.every((r) => /^[0-9a-f]{64}$/.test(r.code_hash)),
    'only hashes are kept',
  );
});

test('the confirming code cannot be used again; the next step can, once', async () => {
  const { user, secret } = await enrolledUser();
  assert.deepEqual(await mfa.verify(user.id, await codeAt(secret)), { ok: false, reason: 'reused_code' });
  clock += 30_000;
  const next = await codeAt(secret);
  // Two replicas checking the same code at once: one wins.
  const results = await Promise.all([mfa.verify(user.id, next), mfa.verify(user.id, next)]);
  assert.deepEqual(results.map((r) => r.ok).sort(), [false, true]);
  assert.deepEqual(await mfa.verify(user.id, next), { ok: false, reason: 'reused_code' });
});

test('a recovery code works once, in any case and spacing', async () => {
  const { user, recoveryCodes } = await enrolledUser();
  const code = recoveryCodes[3]!;
  assert.deepEqual(await mfa.verify(user.id, ` ${code.toLowerCase()} `), { ok: true, method: 'recovery_code' });
  assert.deepEqual(await mfa.verify(user.id, code), { ok: false, reason: 'wrong_recovery_code' });
  assert.deepEqual(await mfa.verify(user.id, 'AAAA-BBBB-CCCC-DDDD'), { ok: false, reason: 'wrong_recovery_code' });
  assert.equal((await mfa.status(user.id)).recovery_codes_left, 9);
});

test('turning two-factor off removes the secret and the recovery codes', async () => {
  const { user, recoveryCodes } = await enrolledUser();
  assert.equal(await mfa.disable(user.id), true);
  assert.equal(await mfa.isEnabled(user.id), false);
  assert.deepEqual(await mfa.verify(user.id, recoveryCodes[0]!), { ok: false, reason: 'not_enrolled' });
  assert.equal(await mfa.disable(user.id), false);
});

test('an mfa_token is redeemed once; only its hash is stored', async () => {
  const { user } = await enrolledUser();
  const { mfa_token: token, expires_at: expiresAt } = await mfa.challenge({ id: user.id, token_version: 0 });
  assert.ok(Date.parse(expiresAt) > Date.now() + 4 * 60_000);
  const rows = await database.db.selectFrom('mfa_challenges').select('token_hash').execute();
  assert.ok(rows.every((r) => r.token_hash !== token));
  assert.deepEqual(await mfa.challengeOf(token), { user_id: user.id, token_version: 0 });
  assert.deepEqual(await Promise.all([mfa.redeem(token), mfa.redeem(token)]).then((r) => r.sort()), [false, true]);
  assert.equal(await mfa.challengeOf(token), undefined);
  assert.equal(await mfa.challengeOf('made-up'), undefined);
});
