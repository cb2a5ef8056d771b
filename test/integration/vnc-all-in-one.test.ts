import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { closeViewers } from '@streamspace/control-plane';
import { type RunningAgent } from '@streamspace/agent';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';
import {
  removeAgentResources,
  requireContainerEngine,
  sessionContainers,
  startDockerAgent,
} from '../support/podman.js';
import { openViewer, runningSession, ticketPath } from '../support/vnc-viewer.js';
import { typeFromViewAndControl } from '../support/view-only-keys.js';

// All-in-one (`streamspace up`): the agent runs in the control plane's process and is given its
// in-process tunnels, so a viewer's stream is spliced straight to the session's VNC socket (one
// hop) after the agent's VNC authentication. The session is the real xterm image, with its password.
const AGENT_ID = `vnc-all-in-one-${process.pid}`;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let sessionId: string;
let container: string;
/** Every WebSocket upgrade the control plane's server saw, by path. */
const upgrades: string[] = [];

before(async () => {
  docker = await requireContainerEngine();
  await removeAgentResources(docker, AGENT_ID);
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  cp.cp.app.server.on('upgrade', (request: { url?: string }) =>
    upgrades.push(new URL(request.url ?? '/', 'http://x').pathname),
  );
  agent = await startDockerAgent(cp.url, AGENT_ID, { inProcessTunnels: cp.cp.inProcessTunnels });
  sessionId = await runningSession(cp);
  container = (await sessionContainers(docker, sessionId))[0]!.Id;
});
after(async () => {
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

/** streamspace_vnc_tunnels_total by path, from the control plane's /metrics. */
const tunnelsByPath = async () => {
  const text = await (await fetch(`http://127.0.0.1:${cp.cp.metricsPort}/metrics`)).text();
  const count = (path: string) =>
    Number(new RegExp(`^streamspace_vnc_tunnels_total\\{path="${path}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { dialled: count('dialled'), inProcess: count('in_process') };
};

test('a viewer gets the real desktop through one hop: no tunnel WebSocket is dialled', async () => {
  const before = await tunnelsByPath();
  const viewer = await openViewer(cp, await ticketPath(cp, sessionId));
  assert.ok(viewer.width > 0 && viewer.height > 0, 'ServerInit and a FramebufferUpdate of the real desktop');
  assert.deepEqual(await tunnelsByPath(), { dialled: before.dialled, inProcess: before.inProcess + 1 });
  assert.equal(before.dialled, 0);
  assert.deepEqual(
    upgrades.filter((path) => path.startsWith('/agent/tunnel/')),
    [],
    'the agent never dialled /agent/tunnel/…',
  );
  assert.equal(agent.openTunnels(), 1, "the agent holds the stream's VNC connection");
  viewer.socket.close();
  await waitFor('stream and VNC connection closed', () => cp.cp.vnc.openStreams === 0 && agent.openTunnels() === 0);
});

test('one hop keeps the RFB parsing: view-only keys never reach the desktop, control keys do', async () => {
  const { viewOnlyTyped, watcher, owner } = await typeFromViewAndControl(cp, docker, container, sessionId, 'aio');
  assert.equal(viewOnlyTyped, false, 'a view-only viewer typed into the desktop');
  assert.equal(watcher.socket.readyState, watcher.socket.OPEN, 'the view-only viewer still watches');
  const session = await cp.cp.database.db
    .selectFrom('sessions')
    .select('last_activity_at')
    .where('id', '=', sessionId)
    .executeTakeFirstOrThrow();
  assert.ok(session.last_activity_at, "the control viewer's input counts as activity");
  watcher.socket.close();
  owner.socket.close();
  await waitFor('streams gone', () => cp.cp.vnc.openStreams === 0);
});

test('one hop: an unknown client message closes the viewer with 4400; closeViewers closes a viewer with its reason', async () => {
  const garbling = await openViewer(cp, await ticketPath(cp, sessionId, 'control'));
  garbling.send(Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(await garbling.closed, {
    code: 4400,
    reason: 'RFB protocol error from the viewer: unknown client message type 7',
  });
  const viewer = await openViewer(cp, await ticketPath(cp, sessionId, 'control'));
  await closeViewers(cp.cp.database.db, { sessionId, reason: 'share revoked by admin' });
  assert.deepEqual(await viewer.closed, { code: 4411, reason: 'share revoked by admin' });
  await waitFor('streams and VNC connections gone', () => cp.cp.vnc.openStreams === 0 && agent.openTunnels() === 0);
  assert.equal((await tunnelsByPath()).dialled, 0, 'no stream was dialled');
});
