import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import type Docker from 'dockerode';
import { type RunningAgent } from '@streamspace/agent';
import { VncClose } from '@streamspace/protocol';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';
import {
  execIn,
  removeAgentResources,
  requireContainerEngine,
  sessionContainers,
  startDockerAgent,
} from '../support/podman.js';
import { openViewer, runningSession } from '../support/vnc-viewer.js';

// Shares enforced where the bytes flow: links redeemed through the API, streams through the real
// proxy to a real xterm desktop on a Docker agent, spoken to by a real RFB client.
const AGENT_ID = `vnc-sharing-${process.pid}`;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let alice: string;
let bob: string;
let carol: string;
let sessionId: string;
let container: string;

before(async () => {
  docker = await requireContainerEngine();
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  agent = await startDockerAgent(cp.url, AGENT_ID);
  alice = await cp.createUser('alice');
  bob = await cp.createUser('bob');
  carol = await cp.createUser('carol');
  sessionId = await runningSession(cp, 'xterm', alice);
  container = (await sessionContainers(docker, sessionId))[0]!.Id;
});
after(async () => {
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

const fileExists = async (path: string) =>
  (await execIn(docker, container, `test -e ${path} && echo yes || echo no`)).trim() === 'yes';
const share = async (mode: 'view' | 'control') => {
  const created = await cp.api('POST', `/api/v1/sessions/${sessionId}/shares`, {
    token: alice,
    body: { mode, expires_in: '10m' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body as { id: string; token: string };
};
/** A guest's viewer through the share link: redeem, then the stream the ticket opens. */
const join = async (link: string, token: string) => {
  const joined = await cp.api('POST', `/api/v1/shares/${link}/connect`, { token });
  assert.equal(joined.status, 200, JSON.stringify(joined.body));
  return openViewer(cp, joined.body.path as string);
};

test('a view-only guest’s keys never reach the desktop; the owner’s and a control guest’s do', async () => {
  const viewShare = await share('view');
  const controlShare = await share('control');
  const watcher = await join(viewShare.token, bob);
  watcher.point(watcher.width / 2, watcher.height / 2);
  watcher.type('touch /tmp/from-view-share\n');
  // Typed after the watcher's keys, on the same desktop: once these files exist, the watcher's
  // keys (sent earlier on a stream that stays open) would have arrived too.
  const guest = await join(controlShare.token, carol);
  guest.point(guest.width / 2, guest.height / 2);
  guest.type('touch /tmp/from-control-share\n');
  await waitFor("the control guest's command ran", () => fileExists('/tmp/from-control-share'), 15_000, 200);
  const ownTicket = await cp.api('POST', `/api/v1/sessions/${sessionId}/connect`, { token: alice });
  const owner = await openViewer(cp, ownTicket.body.path as string);
  owner.point(owner.width / 2, owner.height / 2);
  owner.type('touch /tmp/from-owner\n');
  await waitFor("the owner's command ran", () => fileExists('/tmp/from-owner'), 15_000, 200);
  assert.equal(await fileExists('/tmp/from-view-share'), false, 'a view-only guest typed into the desktop');
  assert.equal(watcher.socket.readyState, watcher.socket.OPEN, 'the view-only guest still watches');

  // The owner sees both guests, each under the share they came through.
  const listed = await cp.api('GET', `/api/v1/sessions/${sessionId}/shares`, { token: alice });
  const watching = Object.fromEntries(
    listed.body.map((s: { id: string; viewers: Array<{ username: string }> }) => [
      s.id,
      s.viewers.map((v) => v.username),
    ]),
  );
  assert.deepEqual(watching, { [viewShare.id]: ['bob'], [controlShare.id]: ['carol'] });
  const connects = await cp.api('GET', `/api/v1/audit?action=session.connect&target_id=${sessionId}`);
  const byActor = Object.fromEntries(
    connects.body.entries.map((e: { actor: string; details: { share_id: string | null; mode: string } }) => [
      e.actor,
      [e.details.share_id, e.details.mode],
    ]),
  );
  assert.deepEqual(byActor, {
    bob: [viewShare.id, 'view'],
    carol: [controlShare.id, 'control'],
    alice: [null, 'control'],
  });
  for (const viewer of [watcher, guest, owner]) viewer.socket.close();
});

test('revoking a share closes its live viewer at once, with who revoked it; other viewers stay', async () => {
  const viewShare = await share('view');
  const watcher = await join(viewShare.token, bob);
  const ownTicket = await cp.api('POST', `/api/v1/sessions/${sessionId}/connect`, { token: alice });
  const owner = await openViewer(cp, ownTicket.body.path as string);
  const revoked = await cp.api('DELETE', `/api/v1/sessions/${sessionId}/shares/${viewShare.id}`, { token: alice });
  assert.equal(revoked.status, 204);
  assert.deepEqual(await watcher.closed, { code: VncClose.ViewerClosed.code, reason: 'share revoked by alice' });
  assert.equal(owner.socket.readyState, owner.socket.OPEN, 'the owner’s own viewer is not the share’s');
  const again = await cp.api('POST', `/api/v1/shares/${viewShare.token}/connect`, { token: bob });
  assert.equal(again.status, 410);
  owner.socket.close();
});

test('a ticket redeemed before the share was revoked no longer opens a stream', async () => {
  const viewShare = await share('view');
  const joined = await cp.api('POST', `/api/v1/shares/${viewShare.token}/connect`, { token: bob });
  assert.equal(joined.status, 200);
  await cp.api('DELETE', `/api/v1/sessions/${sessionId}/shares/${viewShare.id}`, { token: alice });
  const socket = new WebSocket(`${cp.url.replace('http', 'ws')}${joined.body.path}`, ['binary'], {
    headers: { origin: cp.url },
  });
  const [code] = (await once(socket, 'close')) as [number, Buffer];
  assert.equal(code, VncClose.Forbidden.code);
});
