import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresServer } from '../support/postgres-server.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { waitFor } from '../support/wait-for.js';

// PostgreSQL only: an embedded PGlite lives and dies with the process, so it cannot go away alone.
// This file owns its server so stopping it touches no other test.
let server: PostgresServer;
let cp: TestControlPlane;

before(async () => {
  server = await PostgresServer.start();
  const url = await server.createDatabase('outage');
  cp = await (await startTestControlPlane({ kind: 'postgres', url, close: async () => undefined })).loginAsAdmin();
});
after(async () => {
  await cp.stop();
  await server.destroy();
});

test('database stopped mid-run: /ready and the API answer 503 with the reason, then recover when it returns', async () => {
  const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'outage-agent' });
  const before = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  assert.equal(before.status, 201);
  await agent.next('command', (m) => m.payload.session_id === before.body.id);

  await server.stopServer();

  const ready = await cp.api('GET', '/ready', { token: null });
  assert.equal(ready.status, 503);
  assert.equal(ready.body.status, 'not_ready');
  // The driver's error text (addresses, ECONNREFUSED) stays in the log, not in the answer.
  assert.equal(ready.body.reason, "database not answering (the control plane's log has the error)");
  assert.ok(
    cp.logs
      .messages()
      .some((m) => m.msg === 'readiness: the database is not answering' && JSON.stringify(m.err).length > 2),
    'the log keeps the error',
  );
  assert.equal((await cp.api('GET', '/health', { token: null })).status, 200, 'the process itself is alive');

  const list = await cp.api('GET', '/api/v1/sessions');
  assert.equal(list.status, 503);
  assert.equal(list.body.error, 'database_unavailable');
  assert.match(list.body.message, /The database is not answering .*nothing was changed\. Retry shortly/);
  assert.ok(Number(list.headers.get('retry-after')) > 0);
  const create = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  assert.equal(create.status, 503);
  // Agent frames that need the database are answered with an error, and the connection survives.
  agent.reportStatus(before.body.id, 'running');
  const error = await agent.next('error');
  assert.equal(error.payload.code, 'internal');

  await server.startServer();

  await waitFor('ready again', async () => (await cp.api('GET', '/ready', { token: null })).status === 200);
  const after = await cp.api('GET', '/api/v1/sessions');
  assert.equal(after.status, 200);
  assert.ok(
    after.body.some((s: { id: string }) => s.id === before.body.id),
    'nothing written before the outage was lost',
  );
  // Commands flow again: LISTEN was re-established.
  const next = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  assert.equal(next.status, 201);
  await agent.next('command', (m) => m.payload.session_id === next.body.id, 15_000);
  assert.ok(cp.logs.text.includes('PostgreSQL LISTEN connection restored'));
  await agent.close();
});
