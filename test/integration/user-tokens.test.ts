import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { waitFor } from '../support/wait-for.js';
import { openEvents } from '../support/event-stream.js';

const closeOf = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );

forEachDatabase('user tokens', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  let agent: AgentSimulator;

  before(async () => {
    fresh = await target.fresh();
    cp = await (
      await startTestControlPlane(fresh, { env: { USER_MAX_EVENT_STREAMS: '2', USER_MAX_SESSIONS: '50' } })
    ).loginAsAdmin();
    agent = (await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: `tokens-${target.name}` })).agent;
  });
  after(async () => {
    await agent.close();
    await cp.stop();
    await fresh.close();
  });

  const userId = async (username: string) =>
    (await cp.api('GET', '/api/v1/users')).body.find((u: { username: string }) => u.username === username).id as string;

  /** A session of `token`'s user, driven to running by the simulated agent. */
  const runningSession = async (token: string) => {
    const created = await cp.api('POST', '/api/v1/sessions', { token, body: { template: 'xterm' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    const command = await agent.next(
      'command',
      (m) => m.payload.session_id === id && m.payload.type === 'start_session',
    );
    agent.send('command_ack', { command_id: command.payload.command_id });
    agent.reportStatus(id, 'running');
    agent.send('command_result', { command_id: command.payload.command_id, ok: true });
    await waitFor(
      'running',
      async () => (await cp.api('GET', `/api/v1/sessions/${id}`, { token })).body.state === 'running',
    );
    return id;
  };

  test('a disabled user is refused at once: API 401, SSE stream closed, VNC ticket refused', async () => {
    const token = await cp.createUser('dora');
    const id = await runningSession(token);
    const ticket = (await cp.api('POST', `/api/v1/sessions/${id}/connect`, { token })).body.ticket as string;
    const events = await openEvents(cp, token);
    assert.equal(events.status, 200);

    assert.equal(
      (await cp.api('PATCH', `/api/v1/users/${await userId('dora')}`, { body: { disabled: true } })).status,
      200,
    );

    const text = await events.ended;
    assert.match(text, /event: logout\ndata: .*"reason":"(disabled|revoked)"/);
    const created = await cp.api('POST', '/api/v1/sessions', { token, body: { template: 'xterm' } });
    assert.equal(created.status, 401);
    assert.equal((await cp.api('GET', '/api/v1/agents', { token })).status, 401);
    assert.equal((await cp.api('POST', `/api/v1/sessions/${id}/connect`, { token })).status, 401);
    // A ticket minted before the account was disabled no longer opens the stream either.
    const viewer = new WebSocket(`${cp.url.replace('http', 'ws')}/vnc/${id}?ticket=${ticket}`, ['binary']);
    assert.equal((await closeOf(viewer)).code, 4440);
  });

  test('role changes take effect on the existing token; a demotion revokes it', async () => {
    const token = await cp.createUser('rolf');
    const id = await userId('rolf');
    assert.equal((await cp.api('GET', '/api/v1/users', { token })).status, 403);
    assert.equal((await cp.api('PATCH', `/api/v1/users/${id}`, { body: { role: 'admin' } })).status, 200);
    assert.equal((await cp.api('GET', '/api/v1/users', { token })).status, 200, 'promoted without logging in again');
    assert.equal((await cp.api('PATCH', `/api/v1/users/${id}`, { body: { role: 'user' } })).status, 200);
    const demoted = await cp.api('GET', '/api/v1/users', { token });
    assert.equal(demoted.status, 401);
    assert.match(demoted.body.message, /Token revoked/);
    const again = await cp.login('rolf', 'rolf-password');
    assert.equal((await cp.api('GET', '/api/v1/users', { token: again })).status, 403);
  });

  test('logout revokes the token, and the SSE stream and VNC stream it opened end', async () => {
    const token = await cp.createUser('lou');
    const id = await runningSession(token);
    const events = await openEvents(cp, token);
    const { ticket } = (await cp.api('POST', `/api/v1/sessions/${id}/connect`, { token })).body;
    const viewer = new WebSocket(`${cp.url.replace('http', 'ws')}/vnc/${id}?ticket=${ticket}`, ['binary']);
    const viewerClosed = closeOf(viewer);
    // The stream is set up once the proxy asks the agent for a tunnel (the simulator never dials it).
    await agent.next('command', (m) => m.payload.session_id === id && m.payload.type === 'open_tunnel');

    assert.equal((await cp.api('POST', '/api/v1/auth/logout', { token })).status, 204);
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token })).status, 401);
    assert.match(await events.ended, /event: logout/);
    assert.deepEqual(await viewerClosed, { code: 4440, reason: 'login revoked or expired; log in again (revoked)' });
    assert.equal(
      (await cp.api('GET', '/api/v1/sessions', { token: await cp.login('lou', 'lou-password') })).status,
      200,
    );
  });

  test('changing your own password needs the current one and revokes your tokens', async () => {
    const token = await cp.createUser('pat');
    const id = await userId('pat');
    const change = (body: object) => cp.api('PATCH', `/api/v1/users/${id}`, { token, body });
    assert.equal((await change({ password: 'new-password-1' })).status, 400);
    assert.equal((await change({ password: 'new-password-1', current_password: 'wrong-one' })).status, 403);
    assert.equal((await change({ password: 'new-password-1', current_password: 'pat-password' })).status, 200);
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token })).status, 401, 'old token revoked');
    await cp.login('pat', 'new-password-1');
    const old = await cp.api('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'pat', password: 'pat-password' },
    });
    assert.equal(old.status, 401);
  });

  test('live-update streams are capped per user', async () => {
    const token = await cp.createUser('sam');
    const first = await openEvents(cp, token);
    const second = await openEvents(cp, token);
    const third = await openEvents(cp, token);
    assert.deepEqual([first.status, second.status, third.status], [200, 200, 429]);
    await first.cancel();
    await waitFor('a stream slot freed', async () => {
      const next = await openEvents(cp, token);
      await next.cancel();
      return next.status === 200;
    });
    await second.cancel();
  });
});
