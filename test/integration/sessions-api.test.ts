import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

forEachDatabase('sessions API', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  let aliceToken: string;
  let bobToken: string;

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
    aliceToken = await cp.createUser('alice');
    bobToken = await cp.createUser('bob');
  });
  after(async () => {
    await cp.stop();
    await fresh.close();
  });

  test("the seed's verification requests answer as the troubleshooting guide expects", async () => {
    const health = await cp.api('GET', '/health', { token: null });
    assert.deepEqual([health.status, health.body], [200, { status: 'healthy' }]);

    const agents = await cp.api('GET', '/api/v1/agents');
    assert.equal(agents.status, 200);
    assert.deepEqual(agents.body, []);

    const created = await cp.api('POST', '/api/v1/sessions', {
      body: { user: 'alice', template: 'firefox-browser', state: 'running' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.state, 'pending');
    assert.equal(created.body.user, 'alice');
    assert.equal(created.body.template, 'firefox-browser');
    assert.match(created.body.id, /^[0-9a-f-]{36}$/);
    // Never pending without saying why.
    assert.match(created.body.state_reason, /waiting for an online .*agent .*free slot/);
  });

  test('a user creates, reads, lists and deletes their own session', async () => {
    const created = await cp.api('POST', '/api/v1/sessions', { token: aliceToken, body: { template: 'xterm' } });
    assert.equal(created.status, 201);
    assert.equal(created.body.user, 'alice');
    const id = created.body.id as string;

    const got = await cp.api('GET', `/api/v1/sessions/${id}`, { token: aliceToken });
    assert.equal(got.status, 200);
    assert.equal(got.body.id, id);

    const listed = await cp.api('GET', '/api/v1/sessions?state=pending', { token: aliceToken });
    assert.ok(listed.body.some((s: { id: string }) => s.id === id));
    assert.ok(listed.body.every((s: { user: string; state: string }) => s.user === 'alice' && s.state === 'pending'));

    const deleted = await cp.api('DELETE', `/api/v1/sessions/${id}`, { token: aliceToken });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.state, 'deleted');
    const afterDelete = await cp.api('GET', '/api/v1/sessions', { token: aliceToken });
    assert.ok(!afterDelete.body.some((s: { id: string }) => s.id === id), 'deleted sessions are not listed by default');
    const onlyDeleted = await cp.api('GET', '/api/v1/sessions?state=deleted', { token: aliceToken });
    assert.ok(onlyDeleted.body.some((s: { id: string }) => s.id === id));
  });

  test("another user's session is not found, and only admins see everyone's", async () => {
    const created = await cp.api('POST', '/api/v1/sessions', { token: aliceToken, body: { template: 'xterm' } });
    const id = created.body.id as string;
    for (const [method, body] of [['GET'], ['PATCH', { state: 'stopped' }], ['DELETE']] as const) {
      const response = await cp.api(method, `/api/v1/sessions/${id}`, { token: bobToken, ...(body ? { body } : {}) });
      assert.equal(response.status, 404, `${method} by another user`);
      assert.equal(response.body.error, 'not_found');
    }
    const bobs = await cp.api('GET', '/api/v1/sessions', { token: bobToken });
    assert.ok(!bobs.body.some((s: { id: string }) => s.id === id));
    const all = await cp.api('GET', '/api/v1/sessions?user=alice');
    assert.ok(all.body.some((s: { id: string }) => s.id === id));
    const asAdmin = await cp.api('GET', `/api/v1/sessions/${id}`);
    assert.equal(asAdmin.status, 200);
  });

  test('only admins may create a session for someone else', async () => {
    const refused = await cp.api('POST', '/api/v1/sessions', {
      token: bobToken,
      body: { user: 'alice', template: 'xterm' },
    });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /Only admins/);
    const unknownUser = await cp.api('POST', '/api/v1/sessions', { body: { user: 'nobody', template: 'xterm' } });
    assert.equal(unknownUser.status, 404);
    assert.match(unknownUser.body.message, /user "nobody" not found/);
  });

  test('state changes follow the state machine; an invalid one is a 409 naming what is allowed', async () => {
    const created = await cp.api('POST', '/api/v1/sessions', { token: aliceToken, body: { template: 'xterm' } });
    const id = created.body.id as string;

    const hibernate = await cp.api('PATCH', `/api/v1/sessions/${id}`, {
      token: aliceToken,
      body: { state: 'hibernated' },
    });
    assert.equal(hibernate.status, 409);
    assert.equal(hibernate.body.error, 'invalid_transition');
    assert.match(
      hibernate.body.message,
      /Session is pending; it cannot be moved to hibernated\. Allowed from pending: stopped/,
    );

    // Not on an agent yet, so stopping is immediate.
    const stop = await cp.api('PATCH', `/api/v1/sessions/${id}`, { token: aliceToken, body: { state: 'stopped' } });
    assert.equal(stop.status, 200);
    assert.equal(stop.body.state, 'stopped');

    const resume = await cp.api('PATCH', `/api/v1/sessions/${id}`, { token: aliceToken, body: { state: 'running' } });
    assert.equal(resume.status, 409);
    assert.match(resume.body.message, /Allowed from stopped: none; delete it/);
  });

  test('unknown ids and templates are 404 with a message that says what to do', async () => {
    for (const path of ['/api/v1/sessions/6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d', '/api/v1/sessions/sess-123']) {
      const response = await cp.api('GET', path);
      assert.equal(response.status, 404);
      assert.equal(response.body.error, 'not_found');
      assert.match(response.body.message, /not found; list them with GET \/api\/v1\/sessions/);
    }
    const template = await cp.api('POST', '/api/v1/sessions', { body: { template: 'no-such-app' } });
    assert.equal(template.status, 404);
    assert.match(template.body.message, /template "no-such-app" not found/);
    const route = await cp.api('GET', '/api/v1/nothing-here');
    assert.equal(route.status, 404);
    assert.match(route.body.message, /No route GET \/api\/v1\/nothing-here/);
  });

  test('malformed JSON, wrong types, unknown fields and oversized bodies are 400/413 naming the problem', async () => {
    const malformed = await cp.api('POST', '/api/v1/sessions', { body: '{"template": "xterm",' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error, 'malformed_json');
    assert.match(malformed.body.message, /Request body is not valid JSON: .+/);

    const empty = await cp.api('POST', '/api/v1/sessions', { body: ' ' });
    assert.equal(empty.status, 400);
    assert.match(empty.body.message, /empty/);

    const wrongType = await cp.api('POST', '/api/v1/sessions', { body: { template: 123 } });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body.error, 'invalid_request');
    assert.match(wrongType.body.message, /body\.template must be string/);

    const wrongState = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm', state: 'hibernated' } });
    assert.equal(wrongState.status, 400);
    assert.match(wrongState.body.message, /body\.state/);

    const extra = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm', colour: 'red' } });
    assert.equal(extra.status, 400);
    assert.match(extra.body.message, /additional properties \(colour\)/);

    const badPatch = await cp.api('PATCH', '/api/v1/sessions/6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d', {
      body: { state: 'exploded' },
    });
    assert.equal(badPatch.status, 400);
    assert.match(badPatch.body.message, /body\.state/);

    const huge = await cp.api('POST', '/api/v1/sessions', { body: { template: 'x'.repeat(300 * 1024) } });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error, 'payload_too_large');
    assert.match(huge.body.message, /larger than the 262144-byte limit/);

    const notJson = await cp.api('POST', '/api/v1/sessions', {
      body: 'template=xterm',
      headers: { 'content-type': 'text/xml' },
    });
    assert.equal(notJson.status, 415);
    assert.match(notJson.body.message, /send application\/json/);

    // Nothing was created by any of these.
    const count = await cp.api('GET', '/api/v1/sessions?user=admin');
    assert.ok(count.body.every((s: { template: string }) => s.template !== 'x'.repeat(10)));
  });

  test('templates: everyone reads the seeded catalog, only admins write', async () => {
    const catalog = await cp.api('GET', '/api/v1/templates', { token: aliceToken });
    assert.equal(catalog.status, 200);
    assert.deepEqual(
      catalog.body.map((t: { name: string }) => t.name),
      ['desktop', 'firefox-browser', 'xterm'],
    );
    const xterm = catalog.body.find((t: { name: string }) => t.name === 'xterm');
    assert.equal(xterm.vnc_port, 5900);
    assert.equal(typeof xterm.cpu_limit, 'number');
    assert.equal(typeof xterm.persistent_home, 'boolean');

    const template = {
      name: 'gimp',
      display_name: 'GIMP',
      image: 'streamspace/gimp:latest',
      cpu_limit: 2,
      memory_limit_mb: 2048,
      env: { LANG: 'C.UTF-8' },
    };
    const refused = await cp.api('POST', '/api/v1/templates', { token: aliceToken, body: template });
    assert.equal(refused.status, 403);
    const created = await cp.api('POST', '/api/v1/templates', { body: template });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.env, { LANG: 'C.UTF-8' });
    assert.equal(created.body.platform, 'any');
    const duplicate = await cp.api('POST', '/api/v1/templates', { body: template });
    assert.equal(duplicate.status, 409);
    const patched = await cp.api('PATCH', '/api/v1/templates/gimp', {
      body: { memory_limit_mb: 4096, platform: 'docker' },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.memory_limit_mb, 4096);
    const removed = await cp.api('DELETE', '/api/v1/templates/gimp');
    assert.equal(removed.status, 204);
    assert.equal((await cp.api('GET', '/api/v1/templates/gimp')).status, 404);
  });

  test('users: admins manage them; the last admin cannot be removed; users change only their own password', async () => {
    const users = await cp.api('GET', '/api/v1/users');
    assert.equal(users.status, 200);
    assert.ok(
      users.body.every((u: Record<string, unknown>) => !('password_hash' in u)),
      'hashes never leave the server',
    );
    const admin = users.body.find((u: { username: string }) => u.username === 'admin');
    const alice = users.body.find((u: { username: string }) => u.username === 'alice');

    assert.equal((await cp.api('GET', '/api/v1/users', { token: aliceToken })).status, 403);
    const demote = await cp.api('PATCH', `/api/v1/users/${admin.id}`, { body: { role: 'user' } });
    assert.equal(demote.status, 409);
    assert.match(demote.body.message, /last enabled administrator/);

    const promote = await cp.api('PATCH', `/api/v1/users/${alice.id}`, { token: aliceToken, body: { role: 'admin' } });
    assert.equal(promote.status, 403);
    const ownPassword = await cp.api('PATCH', `/api/v1/users/${alice.id}`, {
      token: aliceToken,
      body: { password: 'a-new-password', current_password: 'alice-password' },
    });
    assert.equal(ownPassword.status, 200);
    await cp.login('alice', 'a-new-password');

    const weak = await cp.api('POST', '/api/v1/users', { body: { username: 'carol', password: 'short' } });
    assert.equal(weak.status, 400);
    assert.match(weak.body.message, /body\.password/);

    const withSessions = await cp.api('DELETE', `/api/v1/users/${alice.id}`);
    assert.equal(withSessions.status, 409);
    assert.match(withSessions.body.message, /still has \d+ session/);
  });

  test('OpenAPI document is served; metrics only on METRICS_PORT, the public port answers 404', async () => {
    const docs = await cp.api('GET', '/api/docs/json', { token: null });
    assert.equal(docs.status, 200);
    assert.ok(docs.body.paths['/api/v1/sessions'].post, 'session creation documented');
    assert.ok(docs.body.paths['/api/v1/auth/login'].post);
    const ui = await cp.api('GET', '/api/docs/', { token: null });
    assert.equal(ui.status, 200);

    const publicMetrics = await cp.api('GET', '/metrics', { token: null });
    assert.equal(publicMetrics.status, 404, 'the public port does not serve /metrics');
    assert.notEqual(cp.cp.metricsPort, cp.cp.port);
    const metrics = await cp.metrics();
    assert.match(metrics, /streamspace_sessions\{state="pending"\} \d+/);
    assert.match(metrics, /streamspace_agents\{status="online"\} 0/);
    assert.match(metrics, /streamspace_http_request_duration_seconds_bucket/);
    assert.match(metrics, /streamspace_websocket_connections\{kind="agent"\} 0/);
    const other = await fetch(`http://127.0.0.1:${cp.cp.metricsPort}/api/v1/sessions`);
    assert.equal(other.status, 404, 'the metrics port serves nothing else');
  });
});
