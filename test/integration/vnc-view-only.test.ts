import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
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

const AGENT_ID = `vnc-view-only-${process.pid}`;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let sessionId: string;
let container: string;

before(async () => {
  docker = await requireContainerEngine();
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID);
  sessionId = await runningSession(cp);
  container = (await sessionContainers(docker, sessionId))[0]!.Id;
});
after(async () => {
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

test('keys typed by a view-only viewer never reach the desktop; the same keys from a control viewer do', async () => {
  const { viewOnlyTyped, watcher, owner } = await typeFromViewAndControl(cp, docker, container, sessionId, 'view-only');
  assert.equal(viewOnlyTyped, false, 'a view-only viewer typed into the desktop');
  assert.equal(watcher.socket.readyState, watcher.socket.OPEN, 'the view-only viewer still watches');
  const connects = await cp.api('GET', `/api/v1/audit?action=session.connect&target_id=${sessionId}`);
  assert.deepEqual(
    connects.body.entries.map((e: { details: { mode: string } }) => e.details.mode).sort(),
    ['control', 'view'],
    'each connection is audited with its mode',
  );
  watcher.socket.close();
  owner.socket.close();
  await waitFor('session.leave audited twice', async () => {
    const left = await cp.api('GET', `/api/v1/audit?action=session.leave&target_id=${sessionId}`);
    return left.body.entries.length === 2;
  });
});

test('an unknown client message closes the viewer with a protocol error and is not forwarded', async () => {
  const viewer = await openViewer(cp, await ticketPath(cp, sessionId, 'control'));
  viewer.send(Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(await viewer.closed, {
    code: 4400,
    reason: 'RFB protocol error from the viewer: unknown client message type 7',
  });
  await waitFor('stream gone', () => cp.cp.vnc.openStreams === 0);
});

test('a viewer row exists while connected and is deleted when it leaves; last_viewer_left_at is set', async () => {
  const viewer = await openViewer(cp, await ticketPath(cp, sessionId, 'view'));
  const rows = await cp.cp.database.db
    .selectFrom('vnc_viewers')
    .selectAll()
    .where('session_id', '=', sessionId)
    .execute();
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.mode, 'view');
  assert.equal(rows[0]!.username, 'admin');
  viewer.socket.close();
  await waitFor('row deleted and leave time set', async () => {
    const left = await cp.cp.database.db
      .selectFrom('vnc_viewers')
      .select('id')
      .where('session_id', '=', sessionId)
      .execute();
    const session = await cp.cp.database.db
      .selectFrom('sessions')
      .select('last_viewer_left_at')
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    return left.length === 0 && session.last_viewer_left_at !== null;
  });
});
