import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { WEB_DIST } from '@streamspace/control-plane';
import { forEachDatabase, PGLITE, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator, simulatorCredential } from '../support/agent-simulator.js';
import { waitFor } from '../support/wait-for.js';

// Issue 11 §5 (and the API side of §4): what the control plane shows, to whom, and what it keeps.
forEachDatabase('security surface', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  let userToken: string;
  const agents: AgentSimulator[] = [];

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh, { start: { pruneIntervalMs: 50 } })).loginAsAdmin();
    userToken = await cp.createUser('surface-user');
  });
  after(async () => {
    for (const agent of agents) await agent.close();
    await cp?.stop();
    await fresh?.close();
  });

  test('the UI and the API send CSP, nosniff, no framing and no referrer; no HSTS over http', async () => {
    for (const path of ['/', '/api/v1/templates', '/api/v1/nothing-here']) {
      const response = await fetch(`${cp.url}${path}`, { headers: { authorization: `Bearer ${cp.token}` } });
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /script-src 'self'(;|$)/, `${path}: no inline script, no eval`);
      assert.match(csp, /connect-src 'self'/, `${path}: the VNC WebSocket is same-origin`);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(response.headers.get('strict-transport-security'), null, `${path}: PUBLIC_URL is http`);
    }
  });

  test('agents are listed to admins only', async () => {
    const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: `surface-${target.name}` });
    agents.push(agent);
    const forUser = await cp.api('GET', '/api/v1/agents', { token: userToken });
    assert.equal(forUser.status, 403, JSON.stringify(forUser.body));
    assert.equal((await cp.api('GET', `/api/v1/agents/surface-${target.name}`, { token: userToken })).status, 403);
    const forAdmin = await cp.api('GET', '/api/v1/agents');
    assert.equal(forAdmin.status, 200);
    assert.ok(forAdmin.body.some((a: { agent_id: string }) => a.agent_id === `surface-${target.name}`));
    await agent.close(); // the next test's session goes to its own agent
  });

  test("a template's image and env are shown to admins only", async () => {
    const forUser = await cp.api('GET', '/api/v1/templates/xterm', { token: userToken });
    assert.equal(forUser.status, 200);
    assert.equal(forUser.body.image, undefined);
    assert.equal(forUser.body.env, undefined);
    assert.equal(forUser.body.display_name.length > 0, true, 'the rest is there');
    const list = await cp.api('GET', '/api/v1/templates', { token: userToken });
    assert.ok(list.body.every((t: Record<string, unknown>) => !('image' in t) && !('env' in t)));
    const forAdmin = await cp.api('GET', '/api/v1/templates/xterm');
    assert.match(forAdmin.body.image, /xterm/);
    assert.equal(typeof forAdmin.body.env, 'object');
  });

  test('template env cannot set VNC_* or STREAMSPACE_* names: 400 naming the variable', async () => {
    const created = await cp.api('POST', '/api/v1/templates', {
      body: { name: 'reserved-env', display_name: 'R', image: 'x:1', env: { LANG: 'C', VNC_PASSWORD: 'known' } },
    });
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.match(created.body.message, /VNC_PASSWORD is reserved/);
    assert.equal((await cp.api('GET', '/api/v1/templates/reserved-env')).status, 404, 'nothing was created');
    const patched = await cp.api('PATCH', '/api/v1/templates/xterm', {
      body: { env: { streamspace_session_id: 'x' } },
    });
    assert.equal(patched.status, 400);
    assert.match(patched.body.message, /streamspace_session_id is reserved/);
    const fine = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { env: { SCREEN_WIDTH: '1280' } } });
    assert.equal(fine.status, 200, JSON.stringify(fine.body));
  });

  test("an admin viewing another user's desktop is audited: who, when, which session; an owner is not", async () => {
    const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: `viewed-${target.name}` });
    agents.push(agent);
    const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' }, token: userToken });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    await agent.next('command', (m) => m.payload.session_id === id);
    agent.reportStatus(id, 'running');
    await waitFor('running', async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'running');
    const views = () =>
      cp.cp.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'session.view')
        .where('target_id', '=', id)
        .execute();

    assert.equal((await cp.api('POST', `/api/v1/sessions/${id}/connect`, { token: userToken })).status, 200);
    assert.deepEqual(await views(), [], "the owner's own view is not an admin view");
    const before = Date.now();
    assert.equal((await cp.api('POST', `/api/v1/sessions/${id}/connect`)).status, 200);
    const [row, ...more] = await views();
    assert.equal(more.length, 0);
    assert.equal(row!.actor, 'admin');
    assert.equal(row!.target_type, 'session');
    assert.ok(Math.abs(new Date(row!.at).getTime() - before) < 10_000, 'when');
    assert.equal((row!.details as { owner_user_id?: string }).owner_user_id, created.body.user_id);
  });

  test('an agent dialling plain ws:// to a non-loopback host is warned about at registration, by name', async () => {
    const warning = (id: string) =>
      cp.logs.messages().some((m) => m.level === 40 && String(m.msg).includes(`Agent ${id} dialled ws://`));
    const { agent: local } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, {
      agent_id: `loopback-${target.name}`,
    });
    agents.push(local);
    assert.equal(warning(`loopback-${target.name}`), false, 'loopback is fine');

    const id = `remote-${target.name}`;
    const remote = await AgentSimulator.connect(
      cp.wsUrl,
      { joinToken: AGENT_TOKEN, credential: simulatorCredential(id) },
      { host: 'cp.example.com:8080' },
    );
    agents.push(remote);
    remote.send('register', {
      agent_id: id,
      platform: 'docker',
      version: 'simulator',
      capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
      sessions: [],
    });
    await remote.next('registered');
    await waitFor('the warning', () => warning(id));
  });

  test('maintenance prunes old login failures and finished commands, keeping recent and unfinished ones', async () => {
    const db = cp.cp.database.db;
    await sql`INSERT INTO login_failures (key, failures, window_started_at) VALUES
      ('user:old', 3, NOW() - INTERVAL '2 days'), ('user:recent', 1, NOW())`.execute(db);
    await sql`INSERT INTO agent_commands (command_type, status, created_at, completed_at) VALUES
      ('old_done', 'completed', NOW() - INTERVAL '8 days', NOW() - INTERVAL '8 days'),
      ('old_failed', 'failed', NOW() - INTERVAL '30 days', NOW() - INTERVAL '30 days'),
      ('old_pending', 'pending', NOW() - INTERVAL '30 days', NULL),
      ('recent_done', 'completed', NOW(), NOW())`.execute(db);
    await waitFor('old rows pruned', async () => {
      const keys = (await db.selectFrom('login_failures').select('key').execute()).map((r) => r.key);
      const commands = (await db.selectFrom('agent_commands').select('command_type').execute()).map(
        (r) => r.command_type,
      );
      return !keys.includes('user:old') && !commands.includes('old_done') && !commands.includes('old_failed')
        ? { keys, commands }
        : undefined;
    }).then(({ keys, commands }) => {
      assert.ok(keys.includes('user:recent'));
      assert.ok(commands.includes('old_pending'), 'unfinished commands stay');
      assert.ok(commands.includes('recent_done'));
    });
  });
});

test('HSTS is sent when PUBLIC_URL is https', async () => {
  const fresh = await PGLITE.fresh();
  const cp = await startTestControlPlane(fresh, { env: { PUBLIC_URL: 'https://streamspace.example.com' } });
  try {
    const response = await fetch(`${cp.url}/health`);
    assert.match(response.headers.get('strict-transport-security') ?? '', /^max-age=\d{7,}/);
  } finally {
    await cp.stop();
    await fresh.close();
  }
});

test('the production UI build ships no source maps', async () => {
  const files = await readdir(WEB_DIST, { recursive: true });
  assert.ok(
    files.some((f) => f.endsWith('.js')),
    'the UI is built',
  );
  assert.deepEqual(
    files.filter((f) => f.endsWith('.map')),
    [],
  );
  for (const file of files.filter((f) => f.endsWith('.js')))
    assert.doesNotMatch(await readFile(join(WEB_DIST, file), 'utf8'), /sourceMappingURL/, file);
});
