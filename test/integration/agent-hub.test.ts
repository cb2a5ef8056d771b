import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { waitFor } from '../support/wait-for.js';

let counter = 0;
const agentName = (label: string) => `${label}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;

forEachDatabase('agent hub and dispatcher', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  const agents: AgentSimulator[] = [];

  const register = async (
    label: string,
    extra: Parameters<typeof AgentSimulator.register>[2] extends infer R ? Partial<R> : never = {},
  ) => {
    const agent_id = agentName(label);
    const { agent, registered } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id, ...extra });
    agents.push(agent);
    return { agent, agent_id, registered };
  };
  const agentRow = async (agentId: string) => (await cp.api('GET', `/api/v1/agents/${agentId}`)).body;
  const session = async (id: string) => (await cp.api('GET', `/api/v1/sessions/${id}`)).body;
  const createSession = async (template = 'xterm', body: Record<string, unknown> = {}) => {
    const created = await cp.api('POST', '/api/v1/sessions', { body: { template, ...body } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id as string;
  };
  /** Drives a session to running the way a real agent does: ack, starting with progress, running, result. */
  const runSession = async (agent: AgentSimulator, id: string) => {
    const command = await agent.next(
      'command',
      (m) => m.payload.session_id === id && m.payload.type === 'start_session',
    );
    agent.send('command_ack', { command_id: command.payload.command_id });
    agent.reportStatus(id, 'starting', { progress: { step: 'image', message: 'image present' } });
    agent.reportStatus(id, 'running');
    agent.send('command_result', { command_id: command.payload.command_id, ok: true });
    await waitFor(`session ${id} running`, async () => (await session(id)).state === 'running');
    return command;
  };

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh, { env: { AGENT_HEARTBEAT_TIMEOUT: '3s' } })).loginAsAdmin();
  });
  after(async () => {
    for (const agent of agents) await agent.close().catch(() => undefined);
    await cp.stop();
    await fresh.close();
  });

  test('an agent with neither the join token nor an enrolled credential is refused before the upgrade', async () => {
    for (const [token, reason] of [
      [undefined, /agent credential missing: send Authorization: Bearer <agent credential>/],
      ['wrong-token-wrong-token', /agent credential unknown or revoked/],
    ] as const) {
      await assert.rejects(
        AgentSimulator.connect(cp.wsUrl, token),
        (error: Error & { status?: number; body?: string }) => {
          assert.equal(error.status, 401);
          assert.match(error.body ?? '', reason);
          return true;
        },
      );
    }
    await assert.rejects(AgentSimulator.connect(cp.wsUrl.replace('/agent/ws', '/elsewhere'), AGENT_TOKEN), /404/);
    // The seed documents' path is an alias.
    const viaAlias = await AgentSimulator.connect(cp.wsUrl.replace('/agent/ws', '/api/v1/agents/hub'), AGENT_TOKEN);
    await viaAlias.close();
  });

  test('register → online with the negotiated heartbeat; heartbeats stop → offline after the timeout', async () => {
    const { agent, agent_id, registered } = await register('liveness', {
      platform: 'docker',
      region: 'eu-west-1',
      capacity: { max_sessions: 4, max_cpu: 8, max_memory_gb: 16 },
    });
    assert.deepEqual(registered, {
      heartbeat_interval_ms: 1000,
      heartbeat_timeout_ms: 3000,
      replica_id: cp.cp.config.replicaId,
    });
    const online = await agentRow(agent_id);
    assert.equal(online.status, 'online');
    assert.equal(online.platform, 'docker');
    assert.equal(online.region, 'eu-west-1');
    assert.deepEqual(online.capacity, { max_sessions: 4, max_cpu: 8, max_memory_gb: 16 });
    assert.equal(online.sessions, 0);
    assert.ok(cp.logs.text.includes(`Agent registered successfully: ${agent_id}`));

    agent.startHeartbeats(
      100,
      { sessions: 1, cpu: 0.5, memory_gb: 1 },
      { max_sessions: 4, max_cpu: 8, max_memory_gb: 16 },
    );
    await waitFor('heartbeat usage recorded', async () => (await agentRow(agent_id)).used?.sessions === 1);

    // A hung agent: the socket stays open but nothing arrives.
    agent.stopHeartbeats();
    const offline = await waitFor('agent offline', async () => {
      const row = await agentRow(agent_id);
      return row.status === 'offline' ? row : undefined;
    });
    assert.match(offline.status_reason, /no heartbeat for 3s/);
    const listed = (await cp.api('GET', '/api/v1/agents')).body.find(
      (a: { agent_id: string }) => a.agent_id === agent_id,
    );
    assert.equal(listed.status, 'offline');
    await agent.close();
  });

  test('start_session is delivered, acked and its outcome applied; stop, hibernate and resume follow', async () => {
    const { agent, agent_id } = await register('lifecycle');
    const id = await createSession('xterm', { region: 'nowhere' });
    const command = await runSession(agent, id);
    assert.equal(command.payload.type, 'start_session');
    const template = command.payload.payload.template as Record<string, unknown>;
    assert.equal(template.image, 'streamspace/xterm:latest');
    assert.equal(template.vnc_port, 5900);
    assert.equal(command.payload.payload.user, 'admin');

    const running = await session(id);
    assert.equal(running.agent_id, agent_id);
    assert.equal(running.platform, 'docker');
    assert.equal((await agentRow(agent_id)).sessions, 1);

    const hibernate = await cp.api('PATCH', `/api/v1/sessions/${id}`, { body: { state: 'hibernated' } });
    assert.equal(hibernate.body.state, 'hibernating');
    const hib = await agent.next('command', (m) => m.payload.type === 'hibernate_session');
    assert.equal(hib.payload.session_id, id);
    agent.send('command_ack', { command_id: hib.payload.command_id });
    agent.reportStatus(id, 'hibernated');
    agent.send('command_result', { command_id: hib.payload.command_id, ok: true });
    await waitFor('hibernated', async () => (await session(id)).state === 'hibernated');

    const resume = await cp.api('PATCH', `/api/v1/sessions/${id}`, { body: { state: 'running' } });
    assert.equal(resume.body.state, 'starting');
    const res = await agent.next('command', (m) => m.payload.type === 'resume_session');
    agent.reportStatus(id, 'running');
    agent.send('command_result', { command_id: res.payload.command_id, ok: true });
    await waitFor('resumed', async () => (await session(id)).state === 'running');

    const stop = await cp.api('PATCH', `/api/v1/sessions/${id}`, { body: { state: 'stopped' } });
    assert.equal(stop.body.state, 'stopping');
    const stopCommand = await agent.next('command', (m) => m.payload.type === 'stop_session');
    agent.reportStatus(id, 'stopped');
    agent.send('command_result', { command_id: stopCommand.payload.command_id, ok: true });
    await waitFor('stopped', async () => (await session(id)).state === 'stopped');

    const del = await cp.api('DELETE', `/api/v1/sessions/${id}`);
    assert.equal(del.body.state, 'deleted');
    const deleteCommand = await agent.next('command', (m) => m.payload.type === 'delete_session');
    assert.equal(deleteCommand.payload.session_id, id);

    const metrics = await cp.metrics();
    assert.match(metrics, /streamspace_agent_commands_total\{type="start_session",outcome="completed"\} [1-9]/);
    await agent.close();
  });

  test('a command not acknowledged before a disconnect is sent again after reconnect, and runs once', async () => {
    const first = await register('redelivery');
    const id = await createSession();
    const original = await first.agent.next('command', (m) => m.payload.session_id === id);
    await first.agent.kill(); // gone before acknowledging

    const { agent } = await register('unused', { agent_id: first.agent_id });
    const again = await agent.next('command', (m) => m.payload.session_id === id);
    assert.equal(again.payload.command_id, original.payload.command_id, 'the same command, not a new one');
    agent.send('command_ack', { command_id: again.payload.command_id });
    agent.reportStatus(id, 'running');
    agent.send('command_result', { command_id: again.payload.command_id, ok: true });
    // A duplicate result (the agent resending after its own reconnect) changes nothing and is no error.
    agent.send('command_result', { command_id: again.payload.command_id, ok: false, error: 'duplicate' });
    await waitFor('running', async () => (await session(id)).state === 'running');

    const rows = await cp.cp.database.db
      .selectFrom('agent_commands')
      .selectAll()
      .where('session_id', '=', id)
      .execute();
    assert.equal(rows.length, 1, 'one command row for one start');
    assert.equal(rows[0]!.status, 'completed');
    assert.equal(rows[0]!.attempts, 2);
    assert.equal((await session(id)).state, 'running', 'the duplicate failure did not fail the session');
    assert.ok(!agent.received.some((m) => m.type === 'error'), JSON.stringify(agent.received));
    await agent.close();
  });

  test("an agent's messages are applied in the order it sent them", async () => {
    const { agent } = await register('ordering');
    const ids = await Promise.all(Array.from({ length: 15 }, () => createSession()));
    for (const id of ids) {
      const command = await agent.next('command', (m) => m.payload.session_id === id);
      // Back to back, as a fast agent sends them: each must land after the one before.
      agent.send('command_ack', { command_id: command.payload.command_id });
      agent.reportStatus(id, 'starting', { progress: { step: 'image', message: 'image present' } });
      agent.reportStatus(id, 'running');
      agent.send('command_result', { command_id: command.payload.command_id, ok: true });
      agent.send('command_result', { command_id: command.payload.command_id, ok: false, error: 'late duplicate' });
    }
    for (const id of ids) await waitFor(`session ${id} running`, async () => (await session(id)).state === 'running');
    const commands = await cp.cp.database.db
      .selectFrom('agent_commands')
      .select(['status'])
      .where('session_id', 'in', ids)
      .execute();
    assert.deepEqual(new Set(commands.map((c) => c.status)), new Set(['completed']));
    assert.ok(!agent.received.some((m) => m.type === 'error'), JSON.stringify(agent.received.slice(0, 3)));
    await agent.close();
  });

  test('with no agent a session waits with a reason and is dispatched as soon as one registers', async () => {
    const template = `k8s-only-${counter++}`;
    await cp.api('POST', '/api/v1/templates', {
      body: { name: template, display_name: 'K8s app', image: 'streamspace/xterm:latest', platform: 'kubernetes' },
    });
    const id = await createSession(template);
    const waiting = await session(id);
    assert.equal(waiting.state, 'pending');
    assert.equal(waiting.state_reason, 'waiting for an online kubernetes agent with a free slot');

    const { agent, agent_id } = await register('k8s', { platform: 'kubernetes' });
    const command = await agent.next('command', (m) => m.payload.session_id === id);
    assert.equal(command.payload.type, 'start_session');
    assert.equal((await session(id)).agent_id, agent_id);
    await agent.close();
  });

  test('capacity is respected: a session beyond MAX_SESSIONS waits and starts when a slot frees', async () => {
    const template = `capacity-${counter++}`;
    await cp.api('POST', '/api/v1/templates', {
      body: { name: template, display_name: 'Cap', image: 'streamspace/xterm:latest', platform: 'kubernetes' },
    });
    const { agent } = await register('capacity', {
      platform: 'kubernetes',
      capacity: { max_sessions: 1, max_cpu: 0, max_memory_gb: 0 },
    });
    const first = await createSession(template);
    await runSession(agent, first);
    const second = await createSession(template);
    assert.equal((await session(second)).state, 'pending');
    assert.match((await session(second)).state_reason, /waiting for an online kubernetes agent with a free slot/);

    await cp.api('PATCH', `/api/v1/sessions/${first}`, { body: { state: 'stopped' } });
    const stop = await agent.next(
      'command',
      (m) => m.payload.session_id === first && m.payload.type === 'stop_session',
    );
    agent.reportStatus(first, 'stopped');
    agent.send('command_result', { command_id: stop.payload.command_id, ok: true });
    const start = await agent.next('command', (m) => m.payload.session_id === second);
    assert.equal(start.payload.type, 'start_session');
    await agent.close();
  });

  test('placement prefers the requested region, otherwise the least loaded agent', async () => {
    const template = `placement-${counter++}`;
    await cp.api('POST', '/api/v1/templates', {
      body: { name: template, display_name: 'Placement', image: 'streamspace/xterm:latest', platform: 'kubernetes' },
    });
    const east = await register('east', { platform: 'kubernetes', region: 'us-east-1' });
    const west = await register('west', { platform: 'kubernetes', region: 'eu-west-1' });
    const inWest = await createSession(template, { region: 'eu-west-1' });
    assert.equal((await session(inWest)).agent_id, west.agent_id);
    const inWestAgain = await createSession(template, { region: 'eu-west-1' });
    assert.equal((await session(inWestAgain)).agent_id, west.agent_id, 'region wins over load');
    // No region asked: the least loaded agent (east has none).
    const anywhere = await createSession(template);
    assert.equal((await session(anywhere)).agent_id, east.agent_id);
    // A region nobody serves still gets a session somewhere.
    const elsewhere = await createSession(template, { region: 'ap-south-1' });
    assert.equal((await session(elsewhere)).agent_id, east.agent_id);
    await east.agent.close();
    await west.agent.close();
  });

  test('a failed start fails the session with the agent’s reason', async () => {
    const { agent } = await register('failing');
    const id = await createSession();
    const command = await agent.next('command', (m) => m.payload.session_id === id);
    agent.send('command_result', {
      command_id: command.payload.command_id,
      ok: false,
      error: 'image streamspace/xterm:latest not found; build it with `streamspace image build xterm`',
    });
    const failed = await waitFor('failed', async () => {
      const s = await session(id);
      return s.state === 'failed' ? s : undefined;
    });
    assert.match(failed.state_reason, /start_session failed: image streamspace\/xterm:latest not found/);
    await agent.close();
  });

  test('reconnect reconciles: deleted-while-away sessions are deleted, vanished ones failed', async () => {
    const first = await register('reconcile');
    const kept = await createSession();
    const vanished = await createSession();
    await runSession(first.agent, kept);
    await runSession(first.agent, vanished);
    await first.agent.kill();
    const deletedWhileAway = await cp.api('DELETE', `/api/v1/sessions/${kept}`);
    assert.equal(deletedWhileAway.body.state, 'deleted');

    // The agent comes back still running `kept` but no longer `vanished`.
    const { agent } = await register('unused', {
      agent_id: first.agent_id,
      sessions: [{ session_id: kept, state: 'running' }],
    });
    const del = await agent.next(
      'command',
      (m) => m.payload.session_id === kept && m.payload.type === 'delete_session',
    );
    assert.ok(del);
    const failed = await waitFor('vanished session failed', async () => {
      const s = await session(vanished);
      return s.state === 'failed' ? s : undefined;
    });
    assert.match(failed.state_reason, /no longer has this session's container/);
    await agent.close();
  });

  test('a second connection with the same agent_id replaces the first, which is closed with a reason', async () => {
    const first = await register('replaced');
    const second = await register('unused', { agent_id: first.agent_id });
    const closed = await first.agent.closed();
    assert.equal(closed.code, 4409);
    assert.match(closed.reason, /replaced by a newer connection/);
    const row = await agentRow(first.agent_id);
    assert.equal(row.status, 'online', `the newer connection keeps it online (${row.status_reason})`);
    await second.agent.close();
  });
});
