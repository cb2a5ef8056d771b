import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { closeViewers } from '@streamspace/control-plane';
import { type RunningAgent } from '@streamspace/agent';
import { sharedPostgres } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';
import { removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';
import { openViewer, runningSession, ticketPath } from '../support/vnc-viewer.js';

// Two replicas on one PostgreSQL: the agent is connected to A, the viewers to B (their tunnels
// are relayed from A). Idle hibernation is off; sessions live at most 40 s.
const LIFETIME = '40s';
const AGENT_ID = `viewer-close-${process.pid}`;
let docker: Docker;
let a: TestControlPlane;
let b: TestControlPlane;
let agent: RunningAgent;

before(async () => {
  docker = await requireContainerEngine();
  const url = await (await sharedPostgres()).createDatabase('viewer_close');
  const fresh = { kind: 'postgres' as const, url, close: async () => undefined };
  const env = { SESSION_IDLE_TIMEOUT: '0', SESSION_MAX_LIFETIME: LIFETIME };
  [a, b] = await Promise.all([
    startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'replica-a' } }),
    startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'replica-b' } }),
  ]);
  await a.loginAsAdmin();
  b.token = a.token;
  agent = await startDockerAgent(a.url, AGENT_ID);
});
after(async () => {
  await agent?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

test('closeViewers called on replica A closes a viewer held by replica B, with the reason', async () => {
  const id = await runningSession(b);
  const viewer = await openViewer(b, await ticketPath(b, id));
  assert.equal(b.cp.vnc.openStreams, 1);
  assert.equal(a.cp.vnc.openStreams, 0);
  const rows = await a.cp.database.db.selectFrom('vnc_viewers').selectAll().where('session_id', '=', id).execute();
  assert.deepEqual(
    rows.map((r) => r.replica_id),
    ['replica-b'],
    'its presence row is visible from A',
  );
  await closeViewers(a.cp.database.db, { sessionId: id, reason: 'share revoked by admin' });
  assert.deepEqual(await viewer.closed, { code: 4411, reason: 'share revoked by admin' });
  await waitFor('B dropped the stream', () => b.cp.vnc.openStreams === 0);
  assert.equal((await b.api('GET', `/api/v1/sessions/${id}`)).body.state, 'running', 'only the viewer was closed');
});

test('SESSION_MAX_LIFETIME stops a session with the reason, once, whichever replica acts', async () => {
  const id = await runningSession(b);
  const viewer = await openViewer(b, await ticketPath(b, id));
  const closed = await viewer.closed;
  assert.equal(closed.code, 4411);
  assert.equal(closed.reason, 'session stopped: reached its maximum lifetime of 40s');
  await waitFor('stopped', async () => (await a.api('GET', `/api/v1/sessions/${id}`)).body.state === 'stopped', 30_000);
  assert.equal((await a.api('GET', `/api/v1/sessions/${id}`)).body.state_reason, 'reached its maximum lifetime of 40s');
  const audit = await a.api('GET', `/api/v1/audit?action=session.lifetime_stop&target_id=${id}`);
  assert.equal(audit.body.entries.length, 1);
});
