import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

/**
 * Sharing a session by link (issue 13 §2) through the API: the proxy's side (the viewers a ticket
 * opens) is stood in for by the rows it writes, vnc_viewers; the real proxy is exercised in
 * vnc-sharing.test.ts.
 */
forEachDatabase('session shares', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  let alice: string;
  let bob: string;
  let carol: string;

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh, { env: { SHARE_MAX_LIFETIME: '2d' } })).loginAsAdmin();
    alice = await cp.createUser('alice');
    bob = await cp.createUser('bob');
    carol = await cp.createUser('carol');
  });
  after(async () => {
    await cp.stop();
    await fresh.close();
  });

  const db = () => cp.cp.database.db;
  /** Alice's session, made running as an agent would report it. */
  const runningSession = async (state = 'running') => {
    const created = await cp.api('POST', '/api/v1/sessions', { token: alice, body: { template: 'xterm' } });
    assert.equal(created.status, 201);
    await db()
      .updateTable('sessions')
      .set({ state: state as 'running' })
      .where('id', '=', created.body.id)
      .execute();
    return created.body.id as string;
  };
  const share = async (sessionId: string, body: object, token = alice) => {
    const created = await cp.api('POST', `/api/v1/sessions/${sessionId}/shares`, { token, body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body as { id: string; token: string; url: string; mode: string; expires_at: string };
  };
  /** Bob connected through a share: the row a proxy (here on another replica) keeps while his viewer is open. */
  const bobWatches = async (sessionId: string, shareId: string) => {
    const bobId = (await cp.api('GET', '/api/v1/auth/me', { token: bob })).body.id as string;
    await db()
      .insertInto('vnc_viewers')
      .values({
        id: randomUUID(),
        session_id: sessionId,
        user_id: bobId,
        username: 'bob',
        share_id: shareId,
        mode: 'view',
        replica_id: 'elsewhere',
      })
      .execute();
  };
  const redeem = (link: string, token: string) => cp.api('POST', `/api/v1/shares/${link}/connect`, { token });
  const audit = (action: string, sessionId: string) =>
    db().selectFrom('audit_log').selectAll().where('action', '=', action).where('target_id', '=', sessionId).execute();
  /** Resolves with the first close request for `shareId` that the proxies on every replica would receive. */
  const nextClose = async (shareId: string) => {
    type CloseRequest = { share_id?: string; reason: string };
    let resolve!: (request: CloseRequest) => void;
    const request = new Promise<CloseRequest>((r) => (resolve = r));
    // Listening before the change is made, so the request cannot be missed.
    const unlisten = await cp.cp.database.listen('vnc_viewer_close', (payload) => {
      const parsed = JSON.parse(payload) as CloseRequest;
      if (parsed.share_id === shareId) resolve(parsed);
    });
    return { request: request.finally(() => unlisten()) };
  };

  test('create, redeem, list with live viewers, revoke: the link stops working and its viewers are closed', async () => {
    const sessionId = await runningSession();
    const before = Date.now();
    const created = await share(sessionId, { mode: 'view', expires_in: '2h' });
    assert.match(created.token, /^shr_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.url, `${cp.url}/#/share/${created.token}`);
    assert.equal(created.mode, 'view');
    const lifetime = Date.parse(created.expires_at) - before;
    assert.ok(lifetime > 2 * 3_600_000 - 5000 && lifetime < 2 * 3_600_000 + 60_000, String(lifetime));
    const stored = await db()
      .selectFrom('session_shares')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.token_hash.length, 64);
    assert.ok(!JSON.stringify(stored).includes(created.token.slice(4)), 'only a hash is stored');

    const joined = await redeem(created.token, bob);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.equal(joined.body.session_id, sessionId);
    assert.equal(joined.body.mode, 'view');
    assert.equal(joined.body.owner, 'alice');
    assert.match(joined.body.path, new RegExp(`^/vnc/${sessionId}\\?ticket=`));
    const ticket = await db()
      .selectFrom('vnc_tickets')
      .select(['mode', 'share_id', 'user_id'])
      .where('session_id', '=', sessionId)
      .executeTakeFirstOrThrow();
    assert.deepEqual({ mode: ticket.mode, share_id: ticket.share_id }, { mode: 'view', share_id: created.id });

    await bobWatches(sessionId, created.id);
    const listed = await cp.api('GET', `/api/v1/sessions/${sessionId}/shares`, { token: alice });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.length, 1);
    assert.equal(listed.body[0].status, 'active');
    assert.equal(listed.body[0].created_by, 'alice');
    assert.equal(listed.body[0].username, null);
    assert.deepEqual(
      listed.body[0].viewers.map((v: { username: string; mode: string }) => [v.username, v.mode]),
      [['bob', 'view']],
    );
    assert.ok(!JSON.stringify(listed.body).includes(created.token), 'the token is never listed');

    const closed = await nextClose(created.id);
    const revoked = await cp.api('DELETE', `/api/v1/sessions/${sessionId}/shares/${created.id}`, { token: alice });
    assert.equal(revoked.status, 204);
    assert.deepEqual(await closed.request, { share_id: created.id, reason: 'share revoked by alice' });
    const gone = await redeem(created.token, bob);
    assert.equal(gone.status, 410);
    assert.equal(gone.body.error, 'share_revoked');
    assert.match(gone.body.message, /revoked; ask the session's owner for a new link/);
    const again = await cp.api('GET', `/api/v1/sessions/${sessionId}/shares`, { token: alice });
    assert.equal(again.body[0].status, 'revoked');

    assert.equal((await audit('session.share', sessionId)).length, 1);
    const [revokeEntry] = await audit('session.share_revoke', sessionId);
    assert.equal(revokeEntry?.actor, 'alice');
    assert.equal((revokeEntry?.details as { share_id: string }).share_id, created.id);
    const [redeemEntry] = await audit('session.share_redeem', sessionId);
    assert.equal(redeemEntry?.actor, 'bob');
  });

  test('a share for a named user refuses everyone else, with a message', async () => {
    const sessionId = await runningSession();
    const created = await share(sessionId, { mode: 'control', expires_in: 3600, username: 'bob' });
    const refused = await redeem(created.token, carol);
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /for bob only; you are signed in as carol/);
    const admin = await redeem(created.token, cp.token!);
    assert.equal(admin.status, 403, 'an admin is someone else too (admins open sessions directly)');
    const joined = await redeem(created.token, bob);
    assert.equal(joined.status, 200);
    assert.equal(joined.body.mode, 'control');
    // A link works again for a reconnect; each redeem is a fresh single-use ticket.
    assert.equal((await redeem(created.token, bob)).status, 200);

    const unknown = await cp.api('POST', `/api/v1/sessions/${sessionId}/shares`, {
      token: alice,
      body: { mode: 'view', expires_in: '1h', username: 'nobody' },
    });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /no user "nobody"/);
  });

  test('an expired link cannot be redeemed and its live viewers are closed by maintenance', async () => {
    const sessionId = await runningSession();
    const created = await share(sessionId, { mode: 'view', expires_in: '1m' });
    await bobWatches(sessionId, created.id);
    const closed = await nextClose(created.id);
    await db()
      .updateTable('session_shares')
      .set({ expires_at: sql<Date>`NOW() - INTERVAL '1 second'` })
      .where('id', '=', created.id)
      .execute();
    // Every replica's maintenance tick (at most a second apart) finds the expired share's viewer.
    assert.deepEqual(await closed.request, { share_id: created.id, reason: 'share link expired' });
    const gone = await redeem(created.token, bob);
    assert.equal(gone.status, 410);
    assert.equal(gone.body.error, 'share_expired');
    const unknown = await redeem(`shr_${'A'.repeat(43)}`, bob);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message, /not known/);
    assert.equal((await redeem('not-a-token', bob)).status, 404);
  });

  test('expires_in is required and capped by SHARE_MAX_LIFETIME; bad modes are refused', async () => {
    const sessionId = await runningSession();
    const post = (body: object) => cp.api('POST', `/api/v1/sessions/${sessionId}/shares`, { token: alice, body });
    const missing = await post({ mode: 'view' });
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /expires_in/);
    const tooLong = await post({ mode: 'view', expires_in: '3d' });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.body.message, /3d is too long; a share lives at most 2d \(SHARE_MAX_LIFETIME\)/);
    const garbled = await post({ mode: 'view', expires_in: 'soon' });
    assert.equal(garbled.status, 400);
    assert.match(garbled.body.message, /expected seconds or a duration like 30m/);
    assert.equal((await post({ mode: 'edit', expires_in: '1h' })).status, 400);
  });

  test('only the owner or an admin manages shares: anyone else gets 404, like the session', async () => {
    const sessionId = await runningSession();
    const created = await share(sessionId, { mode: 'view', expires_in: '1h' });
    for (const [method, path] of [
      ['POST', `/api/v1/sessions/${sessionId}/shares`],
      ['GET', `/api/v1/sessions/${sessionId}/shares`],
      ['DELETE', `/api/v1/sessions/${sessionId}/shares/${created.id}`],
    ] as const) {
      const response = await cp.api(method, path, {
        token: bob,
        ...(method === 'POST' ? { body: { mode: 'view', expires_in: '1h' } } : {}),
      });
      assert.equal(response.status, 404, `${method} ${path}`);
    }
    const byAdmin = await share(sessionId, { mode: 'control', expires_in: '1h' }, cp.token!);
    const [entry] = (await audit('session.share', sessionId)).filter(
      (e) => (e.details as { share_id: string }).share_id === byAdmin.id,
    );
    assert.equal(entry?.actor, 'admin');
    assert.equal((await cp.api('GET', `/api/v1/sessions/${sessionId}/shares`)).body.length, 2);
  });

  test('a guest cannot see, stop or delete the shared session, and joins only while it runs', async () => {
    const sessionId = await runningSession();
    const created = await share(sessionId, { mode: 'control', expires_in: '1h' });
    assert.equal((await redeem(created.token, bob)).status, 200);
    assert.equal((await cp.api('GET', `/api/v1/sessions/${sessionId}`, { token: bob })).status, 404);
    const stop = await cp.api('PATCH', `/api/v1/sessions/${sessionId}`, { token: bob, body: { state: 'stopped' } });
    assert.equal(stop.status, 404);
    assert.equal((await cp.api('DELETE', `/api/v1/sessions/${sessionId}`, { token: bob })).status, 404);
    const own = await cp.api('POST', `/api/v1/sessions/${sessionId}/connect`, { token: bob });
    assert.equal(own.status, 404, 'the owner’s connect endpoint is not a way around the share');
    const still = await db()
      .selectFrom('sessions')
      .select('state')
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    assert.equal(still.state, 'running');

    await db().updateTable('sessions').set({ state: 'hibernated' }).where('id', '=', sessionId).execute();
    const asleep = await redeem(created.token, bob);
    assert.equal(asleep.status, 409);
    assert.match(asleep.body.message, /hibernated; .*its owner must start it/);
  });
});
