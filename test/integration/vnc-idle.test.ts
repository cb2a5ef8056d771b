import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import WebSocket, { createWebSocketStream } from 'ws';
import { type RunningAgent } from '@streamspace/agent';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';
import { rfbFirstUpdate } from '../support/rfb-client.js';
import { removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';

const AGENT_ID = `vnc-idle-${process.pid}`;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;

before(async () => {
  docker = await requireContainerEngine();
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh, { env: { VNC_PROXY_TIMEOUT: '1s' } })).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID);
});
after(async () => {
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

test('a stream with no traffic for VNC_PROXY_TIMEOUT is closed with "idle timeout", and its tunnel with it', async () => {
  const id = (await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string;
  await waitFor(
    'running',
    async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'running',
    30_000,
  );
  const { path } = (await cp.api('POST', `/api/v1/sessions/${id}/connect`)).body;
  const viewer = new WebSocket(`${cp.url.replace('http', 'ws')}${path}`, ['binary'], { headers: { origin: cp.url } });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    viewer.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await rfbFirstUpdate(createWebSocketStream(viewer));
  // The viewer asks for nothing more, so nothing flows either way.
  assert.deepEqual(await closed, { code: 4000, reason: 'idle timeout' });
  await waitFor(
    'agent closed its tunnel',
    () => (agent as unknown as { connection: unknown }) && cp.cp.vnc.openStreams === 0,
  );
});
