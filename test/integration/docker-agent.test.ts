import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { readRfbBanner, containerName, homeVolumeName, type RunningAgent } from '@streamspace/agent';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { LogCapture } from '../support/log-capture.js';
import { waitFor } from '../support/wait-for.js';
import { firstFramebufferUpdate } from '../support/rfb-client.js';
import {
  execIn,
  removeAgentResources,
  requireContainerEngine,
  sessionContainers,
  startDockerAgent,
} from '../support/podman.js';

// Control plane + a real Docker agent + podman's Docker API + the real xterm session image.
const AGENT_ID = `docker-it-${process.pid}`;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
const agentLogs = new LogCapture();

const session = async (id: string) => (await cp.api('GET', `/api/v1/sessions/${id}`)).body;
const waitState = (id: string, state: string, timeoutMs = 30_000) =>
  waitFor(
    `session ${id} ${state}`,
    async () => {
      const s = await session(id);
      if (s.state === 'failed' && state !== 'failed') throw new Error(`failed: ${s.state_reason}`);
      return s.state === state ? s : undefined;
    },
    timeoutMs,
  );
const create = async (body: Record<string, unknown>) => {
  const response = await cp.api('POST', '/api/v1/sessions', { body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.id as string;
};

before(async () => {
  docker = await requireContainerEngine();
  await removeAgentResources(docker, AGENT_ID);
  fresh = await PGLITE.fresh();
  cp = await (
    await startTestControlPlane(fresh, { env: { AGENT_HEARTBEAT_TIMEOUT: '1500ms', SESSION_START_TIMEOUT: '1m' } })
  ).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID, {
    env: { HEARTBEAT_INTERVAL: '500ms', SESSION_READY_TIMEOUT: '30s' },
    logs: agentLogs,
  });
});
after(async () => {
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

test('the agent registers and shows online with platform docker, with the seed log lines', async () => {
  const row = (await cp.api('GET', `/api/v1/agents/${AGENT_ID}`)).body;
  assert.equal(row.status, 'online');
  assert.equal(row.platform, 'docker');
  for (const line of [
    'Registering agent with Control Plane',
    `Agent registered successfully: ${AGENT_ID}`,
    'WebSocket connection established',
  ]) {
    assert.ok(agentLogs.text.includes(line), line);
  }
});

test('a session runs for real: labels, limits, unprivileged, VNC answers RFB; stop, hibernate, resume, delete', async () => {
  const id = await create({ template: 'xterm' });
  const running = await waitState(id, 'running');
  assert.equal(running.agent_id, AGENT_ID);
  assert.ok(agentLogs.text.includes(`Received start_session command for session ${id}`));
  assert.ok(agentLogs.text.includes(`Session ${id} started successfully`));

  const [listed] = await sessionContainers(docker, id);
  assert.ok(listed, 'one container for the session');
  const info = await docker.getContainer(listed.Id).inspect();
  assert.equal(info.Name.replace(/^\//, ''), containerName(id));
  assert.equal(info.Config.Labels['streamspace.session-id'], id);
  assert.equal(info.Config.Labels['streamspace.agent-id'], AGENT_ID);
  assert.equal(info.Config.Labels['streamspace.template'], 'xterm');
  assert.equal(info.HostConfig.NanoCpus, 500_000_000);
  assert.equal(info.HostConfig.Memory, 512 * 1024 * 1024);
  assert.equal(info.Config.User, '1000:1000');
  assert.ok(!info.HostConfig.Privileged);
  assert.deepEqual(
    Object.values(info.HostConfig.PortBindings ?? {})
      .flat()
      .filter(Boolean),
    [],
    'VNC is not published',
  );

  const endpoint = await agent.driver.vncEndpoint(id);
  assert.equal(await readRfbBanner(endpoint.host, endpoint.port), 'RFB 003.008\n');
  // Sessions share a bridge: a client without the session's password (another session) is not let in.
  assert.ok(endpoint.password, 'the driver knows the session password');
  await assert.rejects(
    firstFramebufferUpdate(endpoint.host, endpoint.port),
    /security type None not offered \(2\)/,
    'only VNC Authentication is offered',
  );

  // Hibernate keeps the home; resume brings back the same container with the same files.
  await execIn(docker, listed.Id, 'echo kept-across-hibernate > ~/marker.txt');
  await cp.api('PATCH', `/api/v1/sessions/${id}`, { body: { state: 'hibernated' } });
  await waitState(id, 'hibernated');
  assert.equal((await docker.getContainer(listed.Id).inspect()).State.Running, false);
  await docker.getVolume(homeVolumeName(id)).inspect();
  await cp.api('PATCH', `/api/v1/sessions/${id}`, { body: { state: 'running' } });
  await waitState(id, 'running');
  assert.equal((await execIn(docker, listed.Id, 'cat ~/marker.txt')).trim(), 'kept-across-hibernate');
  assert.equal((await sessionContainers(docker, id)).length, 1, 'no second container');

  await cp.api('PATCH', `/api/v1/sessions/${id}`, { body: { state: 'stopped' } });
  await waitState(id, 'stopped');
  assert.equal((await docker.getContainer(listed.Id).inspect()).State.Running, false);

  await cp.api('DELETE', `/api/v1/sessions/${id}`);
  const volumeGone = () =>
    docker
      .getVolume(homeVolumeName(id))
      .inspect()
      .then(
        () => false,
        () => true,
      );
  await waitFor(
    'container and volume removed',
    async () => (await sessionContainers(docker, id)).length === 0 && (await volumeGone()),
  );
});

test('a session whose image is missing fails with the image name and the command that builds it', async () => {
  await cp.api('POST', '/api/v1/templates', {
    body: {
      name: 'missing-image',
      display_name: 'Missing',
      image: 'streamspace/does-not-exist:latest',
      platform: 'docker',
    },
  });
  const id = await create({ template: 'missing-image' });
  const failed = await waitState(id, 'failed');
  assert.match(
    failed.state_reason,
    /image streamspace\/does-not-exist:latest is not on this host and could not be pulled/,
  );
  assert.match(failed.state_reason, /streamspace image build missing-image/);
});

test('a container that exits before VNC answers fails with its exit code and last log lines', async () => {
  await cp.api('POST', '/api/v1/templates', {
    body: {
      name: 'broken-app',
      display_name: 'Broken',
      image: 'streamspace/xterm:latest',
      platform: 'docker',
      env: { SCREEN_DEPTH: 'not-a-depth' },
    },
  });
  const id = await create({ template: 'broken-app' });
  const failed = await waitState(id, 'failed');
  assert.match(failed.state_reason, /^container exited with code \d+/);
  assert.match(failed.state_reason, /last log lines/);
});

test('repeated start_session for a running session does not start a second container', async () => {
  const id = await create({ template: 'xterm' });
  await waitState(id, 'running');
  const spec = {
    sessionId: id,
    user: 'admin',
    template: {
      name: 'xterm',
      image: 'streamspace/xterm:latest',
      vnc_port: 5900,
      cpu_limit: 0.5,
      memory_limit_mb: 512,
      env: {},
      persistent_home: true,
    },
  };
  const endpoint = await agent.driver.start(spec, () => undefined);
  assert.equal(await readRfbBanner(endpoint.host, endpoint.port), 'RFB 003.008\n');
  assert.equal((await sessionContainers(docker, id)).length, 1);
  await cp.api('DELETE', `/api/v1/sessions/${id}`);
  await waitFor('removed', async () => (await sessionContainers(docker, id)).length === 0);
});
