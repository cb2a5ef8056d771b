import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedPostgres } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { waitFor } from '../support/wait-for.js';
import WebSocket from 'ws';

// Several control-plane replicas behind a load balancer share one PostgreSQL: state lives there,
// commands reach the replica holding the agent through LISTEN/NOTIFY.
let a: TestControlPlane;
let b: TestControlPlane;

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
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
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
    const text = (await a.api('GET', '/metrics', { token: null })).body as string;
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
});

test('a viewer on replica B of a session whose agent is on replica A is told why it cannot be joined yet', async () => {
  const { agent } = await AgentSimulator.register(a.wsUrl, AGENT_TOKEN, { agent_id: 'vnc-on-a' });
  const created = await b.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  const command = await agent.next('command', (m) => m.payload.session_id === created.body.id);
  agent.reportStatus(created.body.id, 'running');
  agent.send('command_result', { command_id: command.payload.command_id, ok: true });
  await waitFor(
    'running',
    async () => (await b.api('GET', `/api/v1/sessions/${created.body.id}`)).body.state === 'running',
  );
  const { path } = (await b.api('POST', `/api/v1/sessions/${created.body.id}/connect`)).body;
  const viewer = new WebSocket(`${b.url.replace('http', 'ws')}${path}`, ['binary'], { headers: { origin: b.url } });
  const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
    viewer.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  assert.equal(closed.code, 4503);
  assert.equal(closed.reason, 'agent is connected to replica replica-a; streams across replicas are not supported yet');
  await agent.close();
});
