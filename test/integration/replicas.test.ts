import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedPostgres } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator, simulatorCredential } from '../support/agent-simulator.js';
import { waitFor } from '../support/wait-for.js';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { dialRawTunnel, tunnelUrl } from '@streamspace/agent';

// Several control-plane replicas behind a load balancer share one PostgreSQL: state lives there,
// commands reach the replica holding the agent through LISTEN/NOTIFY.
let a: TestControlPlane;
let b: TestControlPlane;
let misconfigured: TestControlPlane;

before(async () => {
  const url = await (await sharedPostgres()).createDatabase('replicas');
  const fresh = { kind: 'postgres' as const, url, close: async () => undefined };
  const env = { AGENT_HEARTBEAT_TIMEOUT: '1500ms' };
  [a, b] = await Promise.all([
    startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'replica-a' } }),
    startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'replica-b' } }),
  ]);
  await a.loginAsAdmin();
  // A token from one replica is good on the other: they share JWT_SECRET.
  b.token = a.token;
  // A replica whose advertised address is wrong (nothing listens on port 1).
  misconfigured = await startTestControlPlane(fresh, {
    env: { ...env, REPLICA_ID: 'replica-c', REPLICA_URL: 'http://127.0.0.1:1' },
  });
  misconfigured.token = a.token;
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop(), misconfigured?.stop()]);
});

test('a session created on replica B reaches an agent connected to replica A', async () => {
  const { agent } = await AgentSimulator.register(a.wsUrl, AGENT_TOKEN, { agent_id: 'held-by-a' });
  const seenFromB = (await b.api('GET', '/api/v1/agents/held-by-a')).body;
  assert.equal(seenFromB.status, 'online');
  assert.equal(seenFromB.replica_id, 'replica-a');

  const created = await b.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  assert.equal(created.status, 201);
  const command = await agent.next('command', (m) => m.payload.session_id === created.body.id);
  agent.send('command_ack', { command_id: command.payload.command_id });
  agent.reportStatus(created.body.id, 'running');
  await waitFor(
    'running, as seen from B',
    async () => (await b.api('GET', `/api/v1/sessions/${created.body.id}`)).body.state === 'running',
  );

  // User actions on B reach the agent on A too.
  await b.api('PATCH', `/api/v1/sessions/${created.body.id}`, { body: { state: 'stopped' } });
  await agent.next('command', (m) => m.payload.type === 'stop_session');
  await agent.close();
});

test('both replicas agree an agent is offline, and a reconnect to the other replica takes it over', async () => {
  const first = await AgentSimulator.register(a.wsUrl, AGENT_TOKEN, { agent_id: 'moving-agent' });
  first.agent.stopHeartbeats();
  for (const replica of [a, b]) {
    await waitFor(
      'offline on both',
      async () => (await replica.api('GET', '/api/v1/agents/moving-agent')).body.status === 'offline',
    );
  }
  // The load balancer now sends it to B; A closes its stale connection when told.
  const second = await AgentSimulator.register(b.wsUrl, AGENT_TOKEN, { agent_id: 'moving-agent' });
  const closed = await first.agent.closed();
  assert.equal(closed.code, 4409);
  const row = (await a.api('GET', '/api/v1/agents/moving-agent')).body;
  assert.equal(row.status, 'online');
  assert.equal(row.replica_id, 'replica-b');
  await second.agent.close();
});

test('heartbeats are written in batches, not one statement each', async () => {
  const agents = await Promise.all(
    Array.from({ length: 20 }, (_, i) => AgentSimulator.register(a.wsUrl, AGENT_TOKEN, { agent_id: `batch-${i}` })),
  );
  const flushes = async () => {
    const text = await a.metrics();
    return Number(/streamspace_heartbeat_flushes_total (\d+)/.exec(text)?.[1] ?? 0);
  };
  const start = await flushes();
  const startedAt = Date.now();
  // 20 agents × 2 heartbeats/s for about 3 s ≈ 120 heartbeats.
  await waitFor('3 s of heartbeats', () => Date.now() - startedAt > 3000, 5000, 100);
  const writes = (await flushes()) - start;
  const seconds = (Date.now() - startedAt) / 1000;
  assert.ok(
    writes <= Math.ceil(seconds / 0.375) + 1,
    `${writes} batched writes in ${seconds}s for ~${Math.round(seconds * 40)} heartbeats`,
  );
  assert.ok(writes >= 1);
  for (const { agent } of agents) await agent.close();
  // Until the heartbeat timeout marks them offline they stay online in the database, and the next
  // test's session could be placed on one of them instead of its own agent.
  await waitFor('the batch agents offline', async () => {
    const listed = (await a.api('GET', '/api/v1/agents')).body as { agent_id: string; status: string }[];
    return listed.filter((agent) => agent.agent_id.startsWith('batch-')).every((agent) => agent.status === 'offline');
  });
});

const startedSessionOn = async (replica: TestControlPlane, agent: AgentSimulator) => {
  const created = await replica.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  const command = await agent.next('command', (m) => m.payload.session_id === created.body.id);
  agent.reportStatus(created.body.id, 'running');
  agent.send('command_result', { command_id: command.payload.command_id, ok: true });
  await waitFor(
    'running',
    async () => (await replica.api('GET', `/api/v1/sessions/${created.body.id}`)).body.state === 'running',
  );
  return created.body.id as string;
};
const openViewerOn = async (replica: TestControlPlane, sessionId: string) => {
  const { path } = (await replica.api('POST', `/api/v1/sessions/${sessionId}/connect`)).body;
  const viewer = new WebSocket(`${replica.url.replace('http', 'ws')}${path}`, ['binary'], {
    headers: { origin: replica.url },
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    viewer.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve) => viewer.once('open', resolve));
  return { viewer, closed };
};
/** What agent `agentId` does on open_tunnel (its own dialler): dial the tunnel back, here to replica A. */
const dialTunnel = async (replica: TestControlPlane, agentId: string, tunnelId: string, token: string) =>
  (await dialRawTunnel(tunnelUrl(replica.wsUrl, tunnelId), token, simulatorCredential(agentId))).socket;
const nextMessage = (source: WebSocket | Duplex) =>
  new Promise<string>((resolve) =>
    source instanceof WebSocket
      ? source.once('message', (data: Buffer) => resolve(data.toString()))
      : source.once('data', (data: Buffer) => resolve(data.toString())),
  );

test('a viewer on replica B streams from a session whose agent is on replica A: A relays the tunnel to B', async () => {
  const { agent } = await AgentSimulator.register(a.wsUrl, AGENT_TOKEN, { agent_id: 'vnc-on-a' });
  const sessionId = await startedSessionOn(b, agent);
  const { viewer, closed } = await openViewerOn(b, sessionId);

  const open = await agent.next('command', (m) => m.payload.type === 'open_tunnel');
  const { tunnel_id: tunnelId, token } = open.payload.payload as { tunnel_id: string; token: string };
  assert.ok(token, 'the agent gets a token');
  const stored = await a.cp.database.db
    .selectFrom('agent_commands')
    .select('command_data')
    .where('id', '=', open.payload.command_id)
    .executeTakeFirstOrThrow();
  assert.deepEqual(stored.command_data, { tunnel_id: tunnelId }, 'the token is never stored');

  await assert.rejects(dialTunnel(a, 'vnc-on-a', tunnelId, 'forged'), /^Error: HTTP 401: wrong or missing token/);
  await assert.rejects(
    dialTunnel(a, 'vnc-on-a', randomUUID(), token),
    /^Error: HTTP 401/,
    'a token is good for its tunnel only',
  );

  // The agent's dial lands on A (its CONTROL_PLANE_URL); the viewer waits on B.
  const tunnel = await dialTunnel(a, 'vnc-on-a', tunnelId, token);
  tunnel.write('RFB 003.008\n');
  assert.equal(await nextMessage(viewer), 'RFB 003.008\n');
  viewer.send(Buffer.from('RFB 003.008\n'));
  assert.equal(await nextMessage(tunnel), 'RFB 003.008\n');
  await assert.rejects(
    dialTunnel(a, 'vnc-on-a', tunnelId, token),
    /^Error: HTTP 409: .*already joined/,
    'a tunnel is joined once',
  );

  // The VNC server ends the stream while the agent stays online.
  tunnel.end();
  assert.deepEqual(await closed, { code: 4505, reason: 'stream closed by the agent' });
  await agent.close();
});

test('an agent on replica A that dies closes a viewer on replica B with "agent offline"', async () => {
  const { agent } = await AgentSimulator.register(a.wsUrl, AGENT_TOKEN, { agent_id: 'dies-on-a' });
  const sessionId = await startedSessionOn(b, agent);
  const { viewer, closed } = await openViewerOn(b, sessionId);
  const open = await agent.next('command', (m) => m.payload.type === 'open_tunnel');
  const { tunnel_id: tunnelId, token } = open.payload.payload as { tunnel_id: string; token: string };
  const tunnel = await dialTunnel(a, 'dies-on-a', tunnelId, token);
  tunnel.write('RFB 003.008\n');
  await nextMessage(viewer);
  // Both of the agent's connections drop at once, as when its process is killed.
  tunnel.destroy();
  await agent.kill();
  assert.deepEqual(await closed, { code: 4503, reason: 'agent offline' });
});

test('a tunnel for a replica whose REPLICA_URL cannot be reached is refused with 502 naming it', async () => {
  const { agent } = await AgentSimulator.register(a.wsUrl, AGENT_TOKEN, { agent_id: 'vnc-for-c' });
  const sessionId = await startedSessionOn(misconfigured, agent);
  const { viewer } = await openViewerOn(misconfigured, sessionId);
  const open = await agent.next('command', (m) => m.payload.type === 'open_tunnel');
  const { tunnel_id: tunnelId, token } = open.payload.payload as { tunnel_id: string; token: string };
  await assert.rejects(
    dialTunnel(a, 'vnc-for-c', tunnelId, token),
    /^Error: HTTP 502: replica replica-c holding this tunnel's viewer is unreachable at http:\/\/127\.0\.0\.1:1 .*check its REPLICA_URL$/,
  );
  viewer.close();
  await agent.close();
});
