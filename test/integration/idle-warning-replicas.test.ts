import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedPostgres } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { openEvents } from '../support/event-stream.js';
import { waitFor } from '../support/wait-for.js';

// Every replica runs the idle policy; its warning must reach the viewers once, not once per replica.
let a: TestControlPlane;
let b: TestControlPlane;

before(async () => {
  const url = await (await sharedPostgres()).createDatabase('idle_warning');
  const fresh = { kind: 'postgres' as const, url, close: async () => undefined };
  const env = { SESSION_IDLE_TIMEOUT: '4s', AGENT_HEARTBEAT_TIMEOUT: '2s' };
  [a, b] = await Promise.all([
    startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'idle-a' } }),
    startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'idle-b' } }),
  ]);
  await a.loginAsAdmin();
  b.token = a.token;
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test('two replicas warn an idle session once, with the deadline it hibernates at', async () => {
  const { agent } = await AgentSimulator.register(a.wsUrl, AGENT_TOKEN, { agent_id: 'idle-warning-agent' });
  const created = await a.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  assert.equal(created.status, 201);
  const id = created.body.id as string;
  const command = await agent.next('command', (m) => m.payload.session_id === id);
  agent.send('command_ack', { command_id: command.payload.command_id });
  // A live-update stream on each replica: each hears every replica's NOTIFY.
  const [onA, onB] = await Promise.all([openEvents(a, a.token!), openEvents(b, b.token!)]);
  agent.reportStatus(id, 'running');
  const state = async () => (await a.api('GET', `/api/v1/sessions/${id}`)).body.state as string;
  // Running first: before the report lands the session is still starting, which is not running either.
  await waitFor('running', async () => (await state()) === 'running');
  await waitFor('hibernation', async () => (await state()) !== 'running', 30_000);
  await Promise.all([onA.cancel(), onB.cancel()]);
  for (const [name, stream] of [
    ['A', onA],
    ['B', onB],
  ] as const) {
    const warnings = [...(await stream.ended).matchAll(/event: idle_warning\ndata: (.*)\n/g)]
      .map((m) => JSON.parse(m[1]!) as { session_id: string; hibernate_at: string })
      .filter((w) => w.session_id === id);
    assert.equal(warnings.length, 1, `replica ${name}'s stream carried ${warnings.length} warnings`);
    assert.ok(
      Date.parse(warnings[0]!.hibernate_at) > Date.parse(created.body.created_at),
      'a deadline after the start',
    );
  }
  agent.close();
});
