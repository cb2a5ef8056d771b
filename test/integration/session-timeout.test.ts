import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { waitFor } from '../support/wait-for.js';

forEachDatabase('session start timeout', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh, { env: { SESSION_START_TIMEOUT: '1s' } })).loginAsAdmin();
  });
  after(async () => {
    await cp.stop();
    await fresh.close();
  });

  const failedSession = (id: string) =>
    waitFor(`session ${id} failed`, async () => {
      const s = (await cp.api('GET', `/api/v1/sessions/${id}`)).body;
      return s.state === 'failed' ? s : undefined;
    });

  test('a session nobody can take ends failed with the reason it waited for, never pending forever', async () => {
    const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
    assert.equal(created.body.state, 'pending');
    const failed = await failedSession(created.body.id);
    assert.match(
      failed.state_reason,
      /^did not start within 1s: waiting for an online docker or kubernetes agent with a free slot$/,
    );
  });

  test('a session an agent never starts fails too, and the agent is told to stop it', async () => {
    const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: `slow-${target.name}` });
    const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
    const start = await agent.next('command', (m) => m.payload.session_id === created.body.id);
    agent.send('command_ack', { command_id: start.payload.command_id });
    agent.reportStatus(created.body.id, 'starting', {
      progress: { step: 'pull', message: 'pulling image', current: 1, total: 100 },
    });
    const failed = await failedSession(created.body.id);
    assert.match(failed.state_reason, /did not start within 1s/);
    const stop = await agent.next(
      'command',
      (m) => m.payload.session_id === created.body.id && m.payload.type === 'stop_session',
    );
    assert.ok(stop);
    // A late "running" from the agent cannot resurrect a failed session.
    agent.reportStatus(created.body.id, 'running');
    const error = await agent.next('error');
    assert.match(error.payload.message, /is failed; running is not reachable from it/);
    await agent.close();
  });

  test('a start its agent keeps reporting progress for (a long image build) does not time out', async () => {
    const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: `building-${target.name}` });
    const started = async () => {
      const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
      const start = await agent.next('command', (m) => m.payload.session_id === created.body.id);
      agent.send('command_ack', { command_id: start.payload.command_id });
      agent.reportStatus(created.body.id, 'starting', { progress: { step: 'image', message: 'building image' } });
      return created.body.id as string;
    };
    const building = await started();
    let step = 0;
    const reports = setInterval(() => {
      step++;
      agent.reportStatus(building, 'starting', {
        progress: { step: 'image', message: `building image: step ${step}/1000`, current: step, total: 1000 },
      });
    }, 100);
    try {
      // A session started later whose agent went quiet fails: the timeout has passed for both.
      const quiet = await started();
      await failedSession(quiet);
      const still = (await cp.api('GET', `/api/v1/sessions/${building}`)).body;
      assert.equal(still.state, 'starting');
      assert.match(still.progress.message, /^building image: step \d+\/1000$/);
    } finally {
      clearInterval(reports);
    }
    // Once the reports stop, it times out like any other start.
    const failed = await failedSession(building);
    assert.match(failed.state_reason, /did not start within 1s/);
    await agent.close();
  });
});
