import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';
import { openEvents } from '../support/event-stream.js';

forEachDatabase('personal API tokens and /users/me', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh, { env: { API_TOKEN_MAX_LIFETIME: '30d' } })).loginAsAdmin();
  });
  after(async () => {
    await cp.stop();
    await fresh.close();
  });

  const db = () => cp.cp.database.db;
  const createToken = async (login: string, body: object = { name: 'script' }) => {
    const created = await cp.api('POST', '/api/v1/users/me/tokens', { token: login, body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body as { id: string; token: string; name: string; hint: string; expires_at: string };
  };
  const audit = (action: string, targetId: string) =>
    db().selectFrom('audit_log').selectAll().where('action', '=', action).where('target_id', '=', targetId).execute();

  test('create, use as a bearer, list with last use, revoke', async () => {
    const login = await cp.createUser('tina');
    const before = Date.now();
    const created = await createToken(login, { name: 'ci deploy', expires_in: '7d' });
    assert.match(created.token, /^ssp_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.hint, created.token.slice(0, 8));
    const lifetime = Date.parse(created.expires_at) - before;
    assert.ok(lifetime >= 7 * 86_400_000 - 1000 && lifetime <= 7 * 86_400_000 + 60_000, String(lifetime));

    const me = await cp.api('GET', '/api/v1/users/me', { token: created.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, 'tina');
    assert.equal(me.body.role, 'user');
    assert.equal(me.body.single_sign_on, false);
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token: created.token })).status, 200);
    assert.equal(
      (await cp.api('GET', '/api/v1/users', { token: created.token })).status,
      403,
      'the role is the owner’s',
    );

    const listed = await cp.api('GET', '/api/v1/users/me/tokens', { token: login });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.length, 1);
    const [row] = listed.body;
    assert.equal(row.id, created.id);
    assert.equal(row.name, 'ci deploy');
    assert.equal(row.status, 'active');
    assert.equal(row.last_used_from, '127.0.0.1');
    assert.ok(Date.parse(row.last_used_at) >= before - 1000);
    const text = JSON.stringify(listed.body);
    assert.ok(!text.includes(created.token) && !text.includes('token_hash'), 'the token is never listed');

    // Last use is written at most once a minute: a use within the minute leaves it, one after moves it.
    const stored = await db()
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.token_hash.length, 64);
    assert.ok(!JSON.stringify(stored).includes(created.token.slice(4)), 'only a hash is stored');
    await cp.api('GET', '/api/v1/sessions', { token: created.token });
    const again = await db()
      .selectFrom('api_tokens')
      .select('last_used_at')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    assert.equal(again.last_used_at?.getTime(), stored.last_used_at?.getTime());
    // Setting expires_at (to itself) makes every replica drop its cached row (NOTIFY), as a revocation does.
    await db()
      .updateTable('api_tokens')
      .set((eb) => ({ last_used_at: sql<Date>`NOW() - interval '2 minutes'`, expires_at: eb.ref('expires_at') }))
      .where('id', '=', created.id)
      .execute();
    await waitFor('the use after a minute recorded', async () => {
      await cp.api('GET', '/api/v1/sessions', { token: created.token });
      const row = await db()
        .selectFrom('api_tokens')
        .select('last_used_at')
        .where('id', '=', created.id)
        .executeTakeFirstOrThrow();
      return row.last_used_at!.getTime() > Date.now() - 30_000;
    });

    assert.equal((await cp.api('DELETE', `/api/v1/users/me/tokens/${created.id}`, { token: login })).status, 204);
    const refused = await cp.api('GET', '/api/v1/sessions', { token: created.token });
    assert.equal(refused.status, 401);
    assert.match(refused.body.message, /API token "ci deploy" was revoked at .* \(tina\): create a new one/);
    const afterRevoke = await cp.api('GET', '/api/v1/users/me/tokens', { token: login });
    assert.equal(afterRevoke.body[0].status, 'revoked');

    const [createdEntry] = await audit('token.create', created.id);
    assert.equal(createdEntry?.actor, 'tina');
    assert.deepEqual(
      { owner: createdEntry?.details.owner, name: createdEntry?.details.name },
      { owner: 'tina', name: 'ci deploy' },
    );
    const [revokedEntry] = await audit('token.revoke', created.id);
    assert.equal(revokedEntry?.actor, 'tina');
    assert.equal(revokedEntry?.details.name, 'ci deploy');
  });

  test('lifetimes: default 90d capped by API_TOKEN_MAX_LIFETIME, seconds accepted, never-expiring refused', async () => {
    const login = await cp.createUser('lara');
    const capped = await createToken(login);
    const ms = Date.parse(capped.expires_at) - Date.now();
    assert.ok(ms > 29 * 86_400_000 && ms <= 30 * 86_400_000, 'the default is capped by the 30d maximum');
    const seconds = await createToken(login, { name: 'short', expires_in: 3600 });
    assert.ok(Math.abs(Date.parse(seconds.expires_at) - Date.now() - 3_600_000) < 60_000);
    for (const [expiresIn, message] of [
      ['31d', /expires_in: 31d is too long; API tokens live at most 30d \(API_TOKEN_MAX_LIFETIME\)/],
      ['never', /expires_in: expected seconds or a duration like 30d.*API tokens always expire/],
      [0, /at least 1m/],
      [10, /at least 1m/],
    ] as const) {
      const refused = await cp.api('POST', '/api/v1/users/me/tokens', {
        token: login,
        body: { name: 'x', expires_in: expiresIn },
      });
      assert.equal(refused.status, 400, String(expiresIn));
      assert.match(refused.body.message, message);
    }
    const unnamed = await cp.api('POST', '/api/v1/users/me/tokens', { token: login, body: { name: '  ' } });
    assert.equal(unnamed.status, 400);
  });

  test('an expired token is refused with a message that says so', async () => {
    const login = await cp.createUser('eve');
    const created = await createToken(login, { name: 'old' });
    await db()
      .updateTable('api_tokens')
      .set({ expires_at: sql<Date>`NOW() - interval '1 minute'` })
      .where('id', '=', created.id)
      .execute();
    const refused = await cp.api('GET', '/api/v1/users/me', { token: created.token });
    assert.equal(refused.status, 401);
    assert.match(refused.body.message, /API token "old" expired at .*: create a new one on the Account page/);
    const listed = await cp.api('GET', '/api/v1/users/me/tokens', { token: login });
    assert.equal(listed.body[0].status, 'expired');
    const unknown = await cp.api('GET', '/api/v1/users/me', { token: `ssp_${'A'.repeat(43)}` });
    assert.equal(unknown.status, 401);
    assert.match(unknown.body.message, /API token not recognised/);
  });

  test('disabling the owner kills their tokens, also after re-enabling; logout leaves them', async () => {
    const login = await cp.createUser('dan');
    const created = await createToken(login);
    assert.equal((await cp.api('POST', '/api/v1/auth/logout', { token: login })).status, 204);
    assert.equal((await cp.api('GET', '/api/v1/users/me', { token: created.token })).status, 200, 'logout keeps it');

    const id = (await cp.api('GET', '/api/v1/users/me', { token: created.token })).body.id as string;
    assert.equal((await cp.api('PATCH', `/api/v1/users/${id}`, { body: { disabled: true } })).status, 200);
    const refused = await cp.api('GET', '/api/v1/users/me', { token: created.token });
    assert.equal(refused.status, 401);
    assert.match(refused.body.message, /account disabled/);
    assert.equal((await cp.api('PATCH', `/api/v1/users/${id}`, { body: { disabled: false } })).status, 200);
    assert.equal((await cp.api('GET', '/api/v1/users/me', { token: created.token })).status, 401, 'still dead');
  });

  test('an API token cannot create API tokens', async () => {
    const login = await cp.createUser('ian');
    const created = await createToken(login);
    const refused = await cp.api('POST', '/api/v1/users/me/tokens', { token: created.token, body: { name: 'more' } });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /log in with your password/);
  });

  test("admins list and revoke anyone's tokens; users see only their own", async () => {
    const ann = await cp.createUser('ann');
    const bob = await cp.createUser('bob');
    const annToken = await createToken(ann, { name: 'ann-script' });
    const bobToken = await createToken(bob, { name: 'bob-script' });
    const annId = (await cp.api('GET', '/api/v1/users/me', { token: ann })).body.id as string;

    const all = await cp.api('GET', '/api/v1/tokens');
    assert.equal(all.status, 200);
    const names = all.body.map((t: { name: string }) => t.name);
    assert.ok(names.includes('ann-script') && names.includes('bob-script'));
    const anns = await cp.api('GET', `/api/v1/tokens?user_id=${annId}`);
    assert.deepEqual(
      anns.body.map((t: { name: string; username: string }) => [t.name, t.username]),
      [['ann-script', 'ann']],
    );
    assert.ok(!JSON.stringify(all.body).includes(annToken.token));
    assert.equal((await cp.api('GET', '/api/v1/tokens?user_id=nope')).status, 400);

    assert.equal((await cp.api('GET', '/api/v1/tokens', { token: bob })).status, 403);
    assert.equal((await cp.api('DELETE', `/api/v1/tokens/${annToken.id}`, { token: bob })).status, 403);
    const notMine = await cp.api('DELETE', `/api/v1/users/me/tokens/${annToken.id}`, { token: bob });
    assert.equal(notMine.status, 404);
    assert.match(notMine.body.message, /not found; list yours with GET \/api\/v1\/users\/me\/tokens/);
    const bobsList = await cp.api('GET', '/api/v1/users/me/tokens', { token: bob });
    assert.deepEqual(
      bobsList.body.map((t: { name: string }) => t.name),
      ['bob-script'],
    );

    assert.equal((await cp.api('DELETE', `/api/v1/tokens/${annToken.id}`)).status, 204);
    assert.equal((await cp.api('GET', '/api/v1/users/me', { token: annToken.token })).status, 401);
    assert.equal((await cp.api('GET', '/api/v1/users/me', { token: bobToken.token })).status, 200);
    assert.equal((await cp.api('DELETE', `/api/v1/tokens/${annToken.id}`)).status, 204, 'revoking again is harmless');
    const entries = await audit('token.revoke', annToken.id);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.actor, 'admin');
    assert.equal(entries[0]?.details.owner, 'ann');
  });

  test('/users/me: read, edit the profile', async () => {
    const login = await cp.createUser('meg');
    const me = await cp.api('GET', '/api/v1/users/me', { token: login });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, 'meg');
    assert.equal(me.body.role, 'user');
    assert.equal(me.body.display_name, null);
    assert.ok(me.body.created_at);
    assert.equal(me.body.password_hash, undefined);

    const edited = await cp.api('PATCH', '/api/v1/users/me', {
      token: login,
      body: { display_name: 'Meg Ryan', email: 'meg@example.com' },
    });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.display_name, 'Meg Ryan');
    assert.equal(edited.body.email, 'meg@example.com');
    const bad = await cp.api('PATCH', '/api/v1/users/me', { token: login, body: { email: 'not an email' } });
    assert.equal(bad.status, 400);
    const role = await cp.api('PATCH', '/api/v1/users/me', { token: login, body: { role: 'admin' } });
    assert.equal(role.status, 400, 'no role through /users/me');
    const cleared = await cp.api('PATCH', '/api/v1/users/me', { token: login, body: { email: '' } });
    assert.equal(cleared.body.email, null);
    const [entry] = await audit('user.update', me.body.id);
    assert.deepEqual(entry?.details.fields, ['email', 'display_name']);
  });

  test('password change: the current one is required; other logins end, the caller gets a new one', async () => {
    const first = await cp.createUser('pam');
    const second = await cp.login('pam', 'pam-password');
    const apiToken = await createToken(first);
    const change = (body: object, token = first) => cp.api('POST', '/api/v1/users/me/password', { token, body });

    const wrong = await change({ current_password: 'nope', new_password: 'new-password-1' });
    assert.equal(wrong.status, 403);
    assert.match(wrong.body.message, /current_password is wrong/);
    assert.equal((await change({ new_password: 'new-password-1' })).status, 400);
    assert.equal((await change({ current_password: 'pam-password', new_password: 'short' })).status, 400);
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token: second })).status, 200, 'nothing changed yet');

    const changed = await change({ current_password: 'pam-password', new_password: 'new-password-1' });
    assert.equal(changed.status, 200);
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token: first })).status, 401);
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token: second })).status, 401);
    assert.equal((await cp.api('GET', '/api/v1/users/me', { token: changed.body.token })).status, 200);
    assert.equal((await cp.api('GET', '/api/v1/users/me', { token: apiToken.token })).status, 200, 'API tokens stay');
    await cp.login('pam', 'new-password-1');
    const id = (await cp.api('GET', '/api/v1/users/me', { token: changed.body.token })).body.id as string;
    const [entry] = await audit('user.password_change', id);
    assert.equal(entry?.actor, 'pam');
  });

  test('revoking a token ends the live-update stream opened with it, on every replica; a logout does not', async () => {
    const other = await startTestControlPlane(fresh, { env: { REPLICA_ID: 'streams' } });
    try {
      const login = await cp.createUser('stella');
      const created = await createToken(login);
      const here = await openEvents(cp, created.token);
      const there = await openEvents(other, created.token);
      assert.deepEqual([here.status, there.status], [200, 200]);
      // The owner logging out of the browser ends logins, not the script's token or its streams.
      assert.equal((await cp.api('POST', '/api/v1/auth/logout', { token: login })).status, 204);
      const again = await cp.login('stella', 'stella-password');
      // Another of the user's tokens going away leaves these streams alone.
      const unrelated = await createToken(again, { name: 'other' });
      assert.equal((await cp.api('DELETE', `/api/v1/users/me/tokens/${unrelated.id}`, { token: again })).status, 204);

      assert.equal((await cp.api('DELETE', `/api/v1/users/me/tokens/${created.id}`, { token: again })).status, 204);
      for (const stream of [here, there]) {
        const text = await stream.ended;
        assert.match(
          text,
          /event: logout\ndata: \{"reason":"revoked","message":"API token \\"script\\" was revoked: create a new one/,
        );
        assert.equal(text.match(/event: logout/g)?.length, 1, 'ended once, by the revocation only');
      }
    } finally {
      await other.stop();
    }
  });

  test('a token revoked on one replica is refused on another that had it cached', async () => {
    const other = await startTestControlPlane(fresh, { env: { REPLICA_ID: 'second' } });
    try {
      const login = await cp.createUser('rita');
      const created = await createToken(login);
      assert.equal((await other.api('GET', '/api/v1/users/me', { token: created.token })).status, 200);
      assert.equal((await cp.api('DELETE', `/api/v1/users/me/tokens/${created.id}`, { token: login })).status, 204);
      // NOTIFY reaches the other replica at once; its cache would otherwise keep the row for 2 s.
      await waitFor(
        'the other replica to refuse',
        async () => (await other.api('GET', '/api/v1/users/me', { token: created.token })).status === 401,
        1500,
      );
    } finally {
      await other.stop();
    }
  });
});
