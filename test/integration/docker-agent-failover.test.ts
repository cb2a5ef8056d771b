import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentProcess } from '../support/agent-process.js';
import { waitFor } from '../support/wait-for.js';
import {
  TEST_DOCKER_HOST,
  removeAgentResources,
  requireContainerEngine,
  sessionContainers,
} from '../support/podman.js';

const AGENT_ID = `docker-failover-${process.pid}`;
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
  await agent.waitForLog(`Agent registered successfully: ${AGENT_ID}`);
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

before(async () => {
  docker = await requireContainerEngine();
  await removeAgentResources(docker, AGENT_ID);
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh, { env: { AGENT_HEARTBEAT_TIMEOUT: '1500ms' } })).loginAsAdmin();
});
after(async () => {
  for (const agent of processes) await agent.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
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
