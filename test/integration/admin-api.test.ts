import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { simulatedSession } from '../support/simulated-sessions.js';

// Issue 14 §4: what the admin pages read — the dashboard overview, token counts in the user list,
// and 400s that name the field a form shows them on.
forEachDatabase('admin API', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  let agent: AgentSimulator;

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
    ({ agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'overview-agent' }));
  });
  after(async () => {
    await agent?.close();
    await cp.stop();
    await fresh.close();
  });

  test('the overview counts sessions by state and lists the newest failures with their reasons', async () => {
    const empty = await cp.api('GET', '/api/v1/admin/overview');
    assert.equal(empty.status, 200, JSON.stringify(empty.body));
    assert.deepEqual(empty.body.sessions_by_state, {
      pending: 0,
      starting: 0,
      running: 0,
      stopping: 0,
      stopped: 0,
      hibernating: 0,
      hibernated: 0,
      failed: 0,
    });
    assert.deepEqual(empty.body.recent_failures, []);

    await simulatedSession(cp, agent, 'xterm', { state: 'running' });
    await simulatedSession(cp, agent, 'xterm', { state: 'running' });
    const first = await simulatedSession(cp, agent, 'xterm', {
      state: 'failed',
      reason: 'image pull failed: no such image',
    });
    const second = await simulatedSession(cp, agent, 'firefox-browser', { state: 'failed', reason: 'out of memory' });
    const deleted = await simulatedSession(cp, agent, 'xterm', { state: 'running' });
    await cp.api('DELETE', `/api/v1/sessions/${deleted}`);

    const overview = (await cp.api('GET', '/api/v1/admin/overview')).body;
    assert.equal(overview.sessions_by_state.running, 2);
    assert.equal(overview.sessions_by_state.failed, 2);
    assert.equal(overview.sessions_by_state.deleted, undefined, 'deleted sessions are not counted');
    assert.deepEqual(
      overview.recent_failures.map((f: { id: string }) => f.id),
      [second, first],
      'newest first',
    );
    assert.deepEqual(
      { ...overview.recent_failures[0], failed_at: undefined, region: undefined },
      {
        id: second,
        user: 'admin',
        template: 'firefox-browser',
        agent_id: 'overview-agent',
        reason: 'out of memory',
        failed_at: undefined,
        region: undefined,
      },
    );
    assert.ok(Date.parse(overview.recent_failures[0].failed_at) > 0);
  });

  test('the overview is for admins only', async () => {
    const token = await cp.createUser('olivia');
    const refused = await cp.api('GET', '/api/v1/admin/overview', { token });
    assert.equal(refused.status, 403);
    assert.equal((await cp.api('GET', '/api/v1/admin/overview', { token: null })).status, 401);
  });

  test('the user list shows how many working API tokens each user holds', async () => {
    const token = await cp.createUser('tokened');
    for (const name of ['one', 'two', 'three'])
      assert.equal((await cp.api('POST', '/api/v1/users/me/tokens', { token, body: { name } })).status, 201);
    const tokens = (await cp.api('GET', '/api/v1/users/me/tokens', { token })).body as Array<{ id: string }>;
    assert.equal((await cp.api('DELETE', `/api/v1/users/me/tokens/${tokens[0]!.id}`, { token })).status, 204);
    const users = (await cp.api('GET', '/api/v1/users')).body as Array<{ username: string; active_api_tokens: number }>;
    assert.equal(users.find((u) => u.username === 'tokened')?.active_api_tokens, 2);
    assert.equal(users.find((u) => u.username === 'admin')?.active_api_tokens, 0);
  });

  test('a 400 from schema validation names the field, beside the unchanged error and message', async () => {
    const template = { name: 'fields', display_name: 'Fields', image: 'example/fields:1' };
    const small = await cp.api('POST', '/api/v1/templates', { body: { ...template, memory_limit_mb: 10 } });
    assert.equal(small.status, 400);
    assert.deepEqual(small.body, {
      error: 'invalid_request',
      message: 'body.memory_limit_mb must be >= 64',
      field: 'memory_limit_mb',
    });

    const http = await cp.api('POST', '/api/v1/templates', { body: { ...template, icon: 'http://example.com/a.svg' } });
    assert.equal(http.status, 400);
    assert.equal(http.body.field, 'icon');
    assert.match(http.body.message, /^body\.icon must match pattern "\^https:.*or one of: app, browser, code/);

    const platform = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { platform: 'vmware' } });
    assert.deepEqual(platform.body, {
      error: 'invalid_request',
      message: 'body.platform must be one of: any, docker, kubernetes',
      field: 'platform',
    });

    const missing = await cp.api('POST', '/api/v1/templates', { body: { name: 'fields', display_name: 'Fields' } });
    assert.equal(missing.body.field, 'image');
    assert.match(missing.body.message, /must have required property 'image'/);

    const envValue = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { env: { HOME_URL: 5 } } });
    assert.equal(envValue.status, 400);
    assert.equal(envValue.body.field, 'env.HOME_URL');

    const tag = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { tags: ['ok', 'Not OK'] } });
    assert.equal(tag.body.field, 'tags.1');

    const unknown = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { colour: 'red' } });
    assert.equal(unknown.body.field, 'colour');
    assert.match(unknown.body.message, /must NOT have additional properties \(colour\)/);
  });

  test("the API's own 400s about one field name it too", async () => {
    const lifetime = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { max_lifetime: 'forever' } });
    assert.equal(lifetime.status, 400);
    assert.equal(lifetime.body.field, 'max_lifetime');
    assert.match(lifetime.body.message, /^max_lifetime: expected a duration/);

    const reserved = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { env: { VNC_PASSWORD: 'x' } } });
    assert.deepEqual([reserved.status, reserved.body.error, reserved.body.field], [400, 'bad_request', 'env']);
  });
});
