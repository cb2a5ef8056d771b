import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import WebSocket, { createWebSocketStream } from 'ws';
import { type RunningAgent } from '@streamspace/agent';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { LogCapture } from '../support/log-capture.js';
import { waitFor } from '../support/wait-for.js';
import { rfbFirstUpdate } from '../support/rfb-client.js';
import { removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';

// Browser-side protocol through the full path: viewer WS → control plane → agent's data WS → TCP →
// Xvnc in the real xterm session container.
const AGENT_ID = `vnc-it-${process.pid}`;
let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent;
let sessionId: string;
let bobToken: string;
const agentLogs = new LogCapture();

const ticketFor = async (id: string, token?: string) => {
  const response = await cp.api('POST', `/api/v1/sessions/${id}/connect`, token ? { token } : {});
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as { ticket: string; path: string; ws_url: string };
};
const viewerUrl = (id: string, ticket?: string) =>
  `${cp.url.replace('http', 'ws')}/vnc/${id}${ticket ? `?ticket=${ticket}` : ''}`;
const openViewer = (url: string, origin = cp.url) => new WebSocket(url, ['binary'], { headers: { origin } });
const closeOf = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
const openTunnelCommands = async () =>
  Number(
    (
      await cp.cp.database.db
        .selectFrom('agent_commands')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('command_type', '=', 'open_tunnel')
        .executeTakeFirstOrThrow()
    ).n,
  );
const startSession = async () => {
  const id = (await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string;
  await waitFor(
    'running',
    async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'running',
    30_000,
  );
  return id;
};

before(async () => {
  docker = await requireContainerEngine();
  await removeAgentResources(docker, AGENT_ID);
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh, { env: { AGENT_HEARTBEAT_TIMEOUT: '1500ms' } })).loginAsAdmin();
  bobToken = await cp.createUser('bob');
  agent = await startDockerAgent(cp.url, AGENT_ID, { env: { HEARTBEAT_INTERVAL: '500ms' }, logs: agentLogs });
  sessionId = await startSession();
});
after(async () => {
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
});

test('through /vnc/{id} a viewer gets RFB 003.008, completes the handshake and receives a FramebufferUpdate', async () => {
  const { path, ws_url } = await ticketFor(sessionId);
  assert.match(path, new RegExp(`^/vnc/${sessionId}\\?ticket=`));
  assert.ok(ws_url.endsWith(path));
  const viewer = openViewer(`${cp.url.replace('http', 'ws')}${path}`);
  await new Promise((resolve) => viewer.once('open', resolve));
  assert.equal(viewer.protocol, 'binary', "noVNC's subprotocol");
  const update = await rfbFirstUpdate(createWebSocketStream(viewer));
  assert.equal(update.banner, 'RFB 003.008\n');
  assert.deepEqual([update.width, update.height], [1280, 800]);
  assert.ok(cp.logs.text.includes(`VNC proxy connection established for session ${sessionId}`));
  assert.ok(agentLogs.text.includes(`VNC tunnel initialized for session ${sessionId}`));
  viewer.close();
});

test('two viewers watch one session at once, each on its own tunnel', async () => {
  const viewers = await Promise.all(
    [ticketFor(sessionId), ticketFor(sessionId)].map(async (t) => openViewer(viewerUrl(sessionId, (await t).ticket))),
  );
  const updates = await Promise.all(viewers.map((v) => rfbFirstUpdate(createWebSocketStream(v))));
  assert.equal(updates.length, 2);
  assert.equal(cp.cp.vnc.openStreams, 2);
  assert.equal(agent.openTunnels(), 2, 'one tunnel per viewer');
  for (const v of viewers) v.close();
  await waitFor('streams closed', () => cp.cp.vnc.openStreams === 0);
  await waitFor('agent tunnels closed', () => agent.openTunnels() === 0);
});

test('missing, forged, reused and expired tickets, and other users, are refused; no bytes reach the agent', async () => {
  const before = await openTunnelCommands();
  const refusedWith = async (url: string) => closeOf(openViewer(url));
  assert.deepEqual(await refusedWith(viewerUrl(sessionId)), {
    code: 4401,
    reason: 'ticket invalid, expired or already used',
  });
  assert.equal((await refusedWith(viewerUrl(sessionId, 'forged-ticket'))).code, 4401);

  const { ticket } = await ticketFor(sessionId);
  const first = openViewer(viewerUrl(sessionId, ticket));
  await rfbFirstUpdate(createWebSocketStream(first));
  first.close();
  assert.equal((await refusedWith(viewerUrl(sessionId, ticket))).code, 4401, 'a ticket works once');

  const stale = await ticketFor(sessionId);
  await cp.cp.database.db
    .updateTable('vnc_tickets')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('used_at', 'is', null)
    .execute();
  assert.equal((await refusedWith(viewerUrl(sessionId, stale.ticket))).code, 4401, 'expired');

  const asBob = await cp.api('POST', `/api/v1/sessions/${sessionId}/connect`, { token: bobToken });
  assert.equal(asBob.status, 404, "another user's session");
  assert.equal(await openTunnelCommands(), before + 1, 'only the one good ticket opened a tunnel');
});

test('a wrong Origin and a plain HTTP request are refused with a reason', async () => {
  const { ticket } = await ticketFor(sessionId);
  const refused = await new Promise<{ status: number; body: string }>((resolve) => {
    const ws = openViewer(viewerUrl(sessionId, ticket), 'https://evil.example');
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => undefined);
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /origin https:\/\/evil\.example is not allowed/);
  const plain = await fetch(`${cp.url}/vnc/${sessionId}`);
  assert.equal(plain.status, 426);
  assert.match(((await plain.json()) as { message: string }).message, /WebSocket endpoint/);
});

test('stopping the session closes its viewers with "session stopped"; a stopped session cannot be viewed', async () => {
  const id = await startSession();
  const viewer = openViewer(viewerUrl(id, (await ticketFor(id)).ticket));
  await rfbFirstUpdate(createWebSocketStream(viewer));
  const closed = closeOf(viewer);
  const late = await ticketFor(id);
  await cp.api('PATCH', `/api/v1/sessions/${id}`, { body: { state: 'stopped' } });
  const { code, reason } = await closed;
  assert.equal(code, 4410);
  assert.match(reason, /session (stopping|stopped)/);
  await waitFor('stopped', async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'stopped');
  assert.equal((await cp.api('POST', `/api/v1/sessions/${id}/connect`)).status, 409);
  assert.deepEqual(await closeOf(openViewer(viewerUrl(id, late.ticket))), { code: 4409, reason: 'session is stopped' });
});

test('when the agent goes away its viewers close with "agent offline", and new viewers are refused until it returns', async () => {
  const viewer = openViewer(viewerUrl(sessionId, (await ticketFor(sessionId)).ticket));
  await rfbFirstUpdate(createWebSocketStream(viewer));
  const closed = closeOf(viewer);
  const pending = await ticketFor(sessionId);
  await agent.stop();
  assert.deepEqual(await closed, { code: 4503, reason: 'agent offline' });
  assert.deepEqual(await closeOf(openViewer(viewerUrl(sessionId, pending.ticket))), {
    code: 4503,
    reason: 'agent offline',
  });

  agent = await startDockerAgent(cp.url, AGENT_ID, { env: { HEARTBEAT_INTERVAL: '500ms' }, logs: agentLogs });
  await waitFor('agent back', () => cp.cp.hub.connectedAgents > 0);
  const again = openViewer(viewerUrl(sessionId, (await ticketFor(sessionId)).ticket));
  assert.equal((await rfbFirstUpdate(createWebSocketStream(again))).banner, 'RFB 003.008\n');
  again.close();
});
