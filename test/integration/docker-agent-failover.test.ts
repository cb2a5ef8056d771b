import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import WebSocket, { createWebSocketStream } from 'ws';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentProcess } from '../support/agent-process.js';
import { waitFor } from '../support/wait-for.js';
import { rfbFirstUpdate } from '../support/rfb-client.js';
import {
  TEST_DOCKER_HOST,
  removeAgentResources,
  requireContainerEngine,
  sessionContainers,
} from '../support/podman.js';

const AGENT_ID = `docker-failover-${process.pid}`;
const POOL_AGENTS = [`docker-pool-a-${process.pid}`, `docker-pool-b-${process.pid}`] as const;
const HEARTBEAT_TIMEOUT_MS = 1500;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
const processes: AgentProcess[] = [];

const agentEnv = (extra: Record<string, string> = {}) => ({
  AGENT_ID,
  CONTROL_PLANE_URL: cp.url,
  AGENT_TOKEN,
  DOCKER_HOST: TEST_DOCKER_HOST,
  HEARTBEAT_INTERVAL: '500ms',
  ...extra,
});
const startAgentProcess = async (extra: Record<string, string> = {}) => {
  const agent = AgentProcess.start(agentEnv(extra));
  processes.push(agent);
  await agent.waitForLog(`Agent registered successfully: ${extra.AGENT_ID ?? AGENT_ID}`);
  return agent;
};
const session = async (id: string) => (await cp.api('GET', `/api/v1/sessions/${id}`)).body;
const waitState = (id: string, state: string) =>
  waitFor(
    `session ${id} ${state}`,
    async () => {
      const s = await session(id);
      return s.state === state ? s : undefined;
    },
    30_000,
  );
const agentStatus = async () => (await cp.api('GET', `/api/v1/agents/${AGENT_ID}`)).body.status;
/** A viewer through the control plane's /vnc path, with a fresh ticket, up to its first frame. */
const viewThroughControlPlane = async (id: string) => {
  const { path } = (await cp.api('POST', `/api/v1/sessions/${id}/connect`)).body as { path: string };
  const viewer = new WebSocket(`${cp.url.replace('http', 'ws')}${path}`, ['binary'], { headers: { origin: cp.url } });
  try {
    return await rfbFirstUpdate(createWebSocketStream(viewer));
  } finally {
    viewer.terminate();
  }
};

before(async () => {
  docker = await requireContainerEngine();
  for (const id of [AGENT_ID, ...POOL_AGENTS]) await removeAgentResources(docker, id);
  fresh = await PGLITE.fresh();
  cp = await (
    await startTestControlPlane(fresh, { env: { AGENT_HEARTBEAT_TIMEOUT: `${HEARTBEAT_TIMEOUT_MS}ms` } })
  ).loginAsAdmin();
});
after(async () => {
  for (const agent of processes) await agent.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) for (const id of [AGENT_ID, ...POOL_AGENTS]) await removeAgentResources(docker, id);
});

test('agent killed while a session runs: the session survives, the agent returns and reconciles, a command sent meanwhile runs once', async () => {
  const first = await startAgentProcess();
  const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  const id = created.body.id as string;
  await waitState(id, 'running');
  const [container] = await sessionContainers(docker, id);
  assert.ok(container);

  await first.kill();
  await waitFor('agent offline', async () => (await agentStatus()) === 'offline');
  const info = await docker.getContainer(container.Id).inspect();
  assert.equal(info.State.Running, true, 'the session keeps running without its agent');

  // Asked while the agent is away: queued, not lost.
  const hibernate = await cp.api('PATCH', `/api/v1/sessions/${id}`, { body: { state: 'hibernated' } });
  assert.equal(hibernate.body.state, 'hibernating');

  const second = await startAgentProcess();
  assert.ok(second.output.includes('Registering agent with Control Plane'));
  await waitState(id, 'hibernated');
  assert.equal(await agentStatus(), 'online');
  const containers = await sessionContainers(docker, id);
  assert.equal(containers.length, 1, 'no duplicate container');
  assert.equal(containers[0]!.Id, container.Id, 'the same container');
  const commands = await cp.cp.database.db
    .selectFrom('agent_commands')
    .selectAll()
    .where('session_id', '=', id)
    .where('command_type', '=', 'hibernate_session')
    .execute();
  assert.equal(commands.length, 1);
  assert.equal(commands[0]!.status, 'completed');
  assert.equal(
    (second.output.match(new RegExp(`Received hibernate_session command for session ${id}`, 'g')) ?? []).length,
    1,
    'executed once',
  );

  // And it is a working agent again.
  await cp.api('PATCH', `/api/v1/sessions/${id}`, { body: { state: 'running' } });
  await waitState(id, 'running');
  await cp.api('DELETE', `/api/v1/sessions/${id}`);
  await waitFor('removed', async () => (await sessionContainers(docker, id)).length === 0);
  assert.equal(await second.stop(), 0, 'SIGTERM stops the agent cleanly');
});

test('MAX_SESSIONS=2: a third session waits with a reason and starts when one stops', async () => {
  const agent = await startAgentProcess({ MAX_SESSIONS: '2' });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string);
  }
  await waitState(ids[0]!, 'running');
  await waitState(ids[1]!, 'running');
  const third = await session(ids[2]!);
  assert.equal(third.state, 'pending');
  assert.equal(third.state_reason, 'waiting for an online docker or kubernetes agent with a free slot');

  await cp.api('PATCH', `/api/v1/sessions/${ids[0]}`, { body: { state: 'stopped' } });
  await waitState(ids[0]!, 'stopped');
  await waitState(ids[2]!, 'running');
  for (const id of ids) await cp.api('DELETE', `/api/v1/sessions/${id}`);
  await agent.stop();
});

test('a session container that dies is reported failed with its exit code', async () => {
  const agent = await startAgentProcess();
  const id = (await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string;
  await waitState(id, 'running');
  const [container] = await sessionContainers(docker, id);
  await docker.getContainer(container!.Id).kill({ signal: 'SIGKILL' });
  const failed = await waitState(id, 'failed');
  assert.match(failed.state_reason, /container exited with code 137/);
  await cp.api('DELETE', `/api/v1/sessions/${id}`);
  await agent.stop();
});

test('two agents on one engine form a pool: sessions spread; SIGKILL one and the other adopts its session, same container, VNC again; the killed one returns without taking it back', async () => {
  const [idA, idB] = POOL_AGENTS;
  // No AGENT_POOL: the default, derived from the engine, puts both in one pool.
  const agents = {
    [idA]: await startAgentProcess({ AGENT_ID: idA }),
    [idB]: await startAgentProcess({ AGENT_ID: idB }),
  };
  const pools = await Promise.all(
    POOL_AGENTS.map(async (id) => (await cp.api('GET', `/api/v1/agents/${id}`)).body.pool),
  );
  assert.match(pools[0], /^docker:/);
  assert.equal(pools[0], pools[1], 'agents on one engine share its pool');

  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    ids.push((await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string);
  }
  const running = await Promise.all(ids.map((id) => waitState(id, 'running')));
  assert.deepEqual(running.map((s) => s.agent_id).sort(), [idA, idB].sort(), 'placement spreads the pool');
  const containers = new Map<string, string>();
  for (const id of ids) containers.set(id, (await sessionContainers(docker, id))[0]!.Id);

  // Kill the agent running the first session; the other one must end up running both.
  const victimId = running[0]!.agent_id as string;
  const survivorId = victimId === idA ? idB : idA;
  const moved = ids[0]!;
  const killedAt = Date.now();
  await agents[victimId]!.kill();
  await waitFor(
    `session ${moved} adopted by ${survivorId}`,
    async () => {
      const s = await session(moved);
      return s.agent_id === survivorId && s.state === 'running' && s;
    },
    HEARTBEAT_TIMEOUT_MS + 10_000,
  );
  await agents[survivorId]!.waitForLog(
    `Session ${moved} adopted from agent ${victimId}`,
    HEARTBEAT_TIMEOUT_MS + 10_000,
  );
  const takeoverMs = Date.now() - killedAt;
  process.stdout.write(`# takeover: ${takeoverMs} ms after SIGKILL (heartbeat timeout ${HEARTBEAT_TIMEOUT_MS} ms)\n`);
  for (const id of ids) {
    const s = await session(id);
    assert.deepEqual([s.agent_id, s.state], [survivorId, 'running']);
    const now = await sessionContainers(docker, id);
    assert.deepEqual(
      now.map((c) => [c.Id, c.State]),
      [[containers.get(id), 'running']],
      'the same container, never restarted',
    );
  }
  assert.equal((await viewThroughControlPlane(moved)).banner, 'RFB 003.008\n', 'VNC through the new owner');

  // The killed agent returns: it sees the pool's containers but leaves them to their owner.
  const returned = await startAgentProcess({ AGENT_ID: victimId });
  await waitFor('reconciled', () => cp.logs.text.includes(`Agent reconciled: ${victimId}`));
  for (const id of ids) {
    assert.equal((await session(id)).agent_id, survivorId);
    assert.equal((await sessionContainers(docker, id))[0]!.State, 'running');
  }
  assert.equal((await viewThroughControlPlane(moved)).banner, 'RFB 003.008\n');

  // A later stop goes to the new owner and works; the returned agent receives nothing for it.
  await cp.api('PATCH', `/api/v1/sessions/${moved}`, { body: { state: 'stopped' } });
  await waitState(moved, 'stopped');
  assert.equal((await sessionContainers(docker, moved))[0]!.State, 'exited');
  assert.ok(agents[survivorId]!.output.includes(`Received stop_session command for session ${moved}`));
  assert.ok(!returned.output.includes(`command for session ${moved}`), 'the old owner is not asked');
  for (const id of ids) await cp.api('DELETE', `/api/v1/sessions/${id}`);
  for (const id of ids) await waitFor('removed', async () => (await sessionContainers(docker, id)).length === 0);
  await agents[survivorId]!.stop();
  await returned.stop();
});
