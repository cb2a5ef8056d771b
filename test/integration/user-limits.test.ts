import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';

forEachDatabase('user limits', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh, { env: { USER_MAX_SESSIONS: '3' } })).loginAsAdmin();
  });
  after(async () => {
    await cp.stop();
    await fresh.close();
  });

  const create = (token: string) => cp.api('POST', '/api/v1/sessions', { token, body: { template: 'xterm' } });

  test('parallel creates cannot exceed the session quota; the 429 names the limit and the sessions', async () => {
    const token = await cp.createUser('quinn');
    const results = await Promise.all(Array.from({ length: 10 }, () => create(token)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 201, 201, ...Array(7).fill(429)]);
    const refused = results.find((r) => r.status === 429)!;
    assert.equal(refused.body.error, 'session_limit');
    assert.equal(refused.body.limit, 3);
    const held = results
      .filter((r) => r.status === 201)
      .map((r) => r.body.id)
      .sort();
    assert.deepEqual(refused.body.sessions.map((s: { id: string }) => s.id).sort(), held);
    assert.match(refused.body.message, /quinn may hold 3 sessions at once and holds 3/);

    // An admin raises quinn's own limit; deleting a session frees a place too.
    const id = (await cp.api('GET', '/api/v1/users')).body.find((u: { username: string }) => u.username === 'quinn').id;
    const raised = await cp.api('PATCH', `/api/v1/users/${id}`, { body: { max_sessions: 4 } });
    assert.equal(raised.body.max_sessions, 4);
    assert.equal((await create(token)).status, 201);
    assert.equal((await create(token)).status, 429);
    await cp.api('DELETE', `/api/v1/sessions/${held[0]}`, { token });
    assert.equal((await create(token)).status, 201);
  });

  test('a pending session writes its waiting reason only when it changes', async () => {
    const token = await cp.createUser('wendy');
    const waiting = (await create(token)).body.id as string;
    const version = async () =>
      (await sql<{ xmin: string }>`SELECT xmin::text FROM sessions WHERE id = ${waiting}`.execute(cp.cp.database.db))
        .rows[0]!.xmin;
    const before = await version();
    // Deleting another session retries placement of every pending one, with the same reason.
    const other = (await create(token)).body.id as string;
    await cp.api('DELETE', `/api/v1/sessions/${other}`, { token });
    assert.equal(await version(), before, 'the unchanged reason was not written again');
  });

  test('an over-long reason from an agent is truncated, not a protocol strike', async () => {
    const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: `reasons-${target.name}` });
    try {
      const token = await cp.createUser('rita');
      const id = (await create(token)).body.id as string;
      const command = await agent.next(
        'command',
        (m) => m.payload.session_id === id && m.payload.type === 'start_session',
      );
      agent.send('command_ack', { command_id: command.payload.command_id });
      agent.reportStatus(id, 'running');
      // A user printed 3,000 characters (an emoji straddling the cut) before the session exited.
      const head = 'container exited with code 1; last log lines:\n';
      const reason = `${head}${'x'.repeat(1998 - head.length)}😀${'y'.repeat(3000)}`;
      for (let i = 0; i < 5; i++) agent.reportStatus(id, 'failed', { reason });
      // Frames are handled in order: the answer to a report about an unknown session comes after
      // whatever the long reports caused.
      agent.reportStatus('00000000-0000-4000-8000-000000000000', 'running');
      const marker = await agent.next('error', (e) => /00000000-0000-4000-8000-000000000000/.test(e.payload.message));
      assert.ok(marker);
      assert.deepEqual(
        agent.received.filter((m) => m.type === 'error'),
        [],
        'no error frame (no strike) for the long reasons',
      );
      const session = (await cp.api('GET', `/api/v1/sessions/${id}`, { token })).body;
      assert.equal(session.state, 'failed');
      assert.equal(session.state_reason.length, 2000 - 1);
      assert.ok(session.state_reason.endsWith('…'));
      assert.ok(!/[\uD800-\uDBFF]…$/.test(session.state_reason), 'not cut inside a surrogate pair');
      assert.equal(agent.socket.readyState, agent.socket.OPEN);
    } finally {
      await agent.close();
    }
  });
});

forEachDatabase('login throttling', (target) => {
  let fresh: FreshDatabase;
  after(async () => fresh && (await fresh.close()));

  test('100 parallel wrong passwords: at most 10 are checked, the rest get 429 with Retry-After; later the right one works', async (t) => {
    fresh = await target.fresh();
    // A first delay longer than the default 2 s: the burst of 100 (seconds on a loaded machine) must
    // still be inside it when the right password is tried below.
    const cp = await startTestControlPlane(fresh, { start: { loginLimits: { baseDelayMs: 10_000 } } });
    try {
      const attempt = (password: string) =>
        cp.api('POST', '/api/v1/auth/login', { token: null, body: { username: 'admin', password } });
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => attempt(`wrong-password-${i}`)));
      const checked = await cp.cp.database.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action', '=', 'auth.login_failed')
        .executeTakeFirstOrThrow();
      const unauthorized = results.filter((r) => r.status === 401).length;
      const limited = results.filter((r) => r.status === 429);
      t.diagnostic(`password checks: ${checked.n} of 100; 401: ${unauthorized}; 429: ${limited.length}`);
      assert.ok(Number(checked.n) <= 10, `${checked.n} password checks`);
      assert.equal(unauthorized, Number(checked.n));
      assert.equal(unauthorized + limited.length, 100);
      assert.ok(limited.every((r) => Number(r.headers.get('retry-after')) >= 1));
      const throttled = await cp.cp.database.db
        .selectFrom('audit_log')
        .select(['actor', 'ip'])
        .where('action', '=', 'auth.login_throttled')
        .execute();
      assert.equal(throttled.length, limited.length, 'each refused attempt is in the audit log');
      assert.ok(throttled.every((row) => row.actor === 'admin' && row.ip === '127.0.0.1'));

      // Even the right password waits out the delay (no oracle), then works: a delay, not a lockout.
      const early = await attempt(ADMIN_PASSWORD);
      assert.equal(early.status, 429);
      const wait = Number(early.headers.get('retry-after'));
      assert.ok(wait <= 60, `a delay of ${wait} s, not a lockout`);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      assert.equal((await attempt(ADMIN_PASSWORD)).status, 200);
    } finally {
      await cp.stop();
    }
  });

  test("TRUST_PROXY: a named proxy's X-Forwarded-For is the client's address; anyone else's is ignored", async () => {
    fresh = await target.fresh();
    const wrong = (cp: TestControlPlane) =>
      cp.api('POST', '/api/v1/auth/login', {
        token: null,
        headers: { 'x-forwarded-for': '203.0.113.7' },
        body: { username: 'nobody', password: 'wrong-wrong' },
      });
    const keys = async (cp: TestControlPlane) =>
      (await cp.cp.database.db.selectFrom('login_failures').select('key').execute()).map((r) => r.key).sort();
    const direct = await startTestControlPlane(fresh);
    try {
      await wrong(direct);
      assert.deepEqual(await keys(direct), ['ip:127.0.0.1', 'user:nobody']);
    } finally {
      await direct.stop();
    }
    await fresh.close();
    fresh = await target.fresh();
    const proxied = await startTestControlPlane(fresh, { env: { TRUST_PROXY: '10.9.0.0/16, 127.0.0.1' } });
    try {
      await wrong(proxied);
      assert.deepEqual(await keys(proxied), ['ip:203.0.113.7', 'user:nobody']);
    } finally {
      await proxied.stop();
    }
  });
});
