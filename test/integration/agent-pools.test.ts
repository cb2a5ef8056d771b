import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { forEachDatabase, sharedPostgres, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator, UNLIMITED, simulatorCredential } from '../support/agent-simulator.js';
import { CloseCode } from '@streamspace/protocol';
import { waitFor } from '../support/wait-for.js';

// Agent pools on the control plane, with simulated agents: placement spreads a pool's sessions,
// an offline agent's sessions move to an online member of its pool after the heartbeat timeout
// (never before, never to another pool, never back to the agent when it returns).
const TIMEOUT_MS = 1500;
const TAKEOVER_DEADLINE_MS = TIMEOUT_MS + 10_000;
const env = { AGENT_HEARTBEAT_TIMEOUT: `${TIMEOUT_MS}ms` };
const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** Drives a start the way a real agent does: ack, running, result. */
async function runStart(agent: AgentSimulator, sessionId: string) {
  const command = await agent.next(
    'command',
    (m) => m.payload.session_id === sessionId && m.payload.type === 'start_session',
  );
  agent.send('command_ack', { command_id: command.payload.command_id });
  agent.reportStatus(sessionId, 'running');
  agent.send('command_result', { command_id: command.payload.command_id, ok: true });
}

forEachDatabase('agent pools', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  const agents: AgentSimulator[] = [];
  const register = async (agentId: string, extra: Partial<Parameters<typeof AgentSimulator.register>[2]> = {}) => {
    const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: agentId, ...extra });
    agents.push(agent);
    await waitForLog(`Agent reconciled: ${agentId}`);
    return agent;
  };
  let seenLogs = 0;
  /** The control plane logs this once it has compared a registering agent's sessions. */
  const waitForLog = (text: string) =>
    waitFor(`log "${text}"`, () => {
      const index = cp.logs.lines.findIndex((line, i) => i >= seenLogs && line.includes(text));
      if (index >= 0) seenLogs = index + 1;
      return index >= 0;
    });
  const session = async (id: string) => (await cp.api('GET', `/api/v1/sessions/${id}`)).body;
  const createSession = async () => {
    const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id as string;
  };
  const commandsOf = (agentId: string) =>
    cp.cp.database.db
      .selectFrom('agent_commands as c')
      .innerJoin('agents as a', 'a.id', 'c.agent_id')
      .select(['c.session_id', 'c.command_type', 'c.status'])
      .where('a.agent_id', '=', agentId)
      .orderBy('c.created_at')
      .execute();

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh, { env })).loginAsAdmin();
  });
  after(async () => {
    for (const agent of agents) await agent.close().catch(() => undefined);
    await cp.stop();
    await fresh.close();
  });

  test('a pool spreads its sessions; a killed agent’s running session is adopted after the heartbeat timeout, and stays with the new owner when the old one returns', async () => {
    const pool = unique('docker:engine');
    const [idA, idB] = [unique('pool-a'), unique('pool-b')];
    const a = await register(idA, { pool });
    const b = await register(idB, { pool });
    assert.equal((await cp.api('GET', `/api/v1/agents/${idA}`)).body.pool, pool);

    // Least used first: the second session goes to the agent that has none.
    const ids = [await createSession(), await createSession()];
    const owners = await Promise.all(ids.map(async (id) => (await session(id)).agent_id as string));
    assert.deepEqual([...owners].sort(), [idA, idB].sort(), 'one session on each agent of the pool');
    const [onA, onB] = owners[0] === idA ? [ids[0]!, ids[1]!] : [ids[1]!, ids[0]!];
    await runStart(a, onA);
    await runStart(b, onB);
    for (const id of ids) await waitFor('running', async () => (await session(id)).state === 'running');

    const killedAt = Date.now();
    await a.kill();
    const adopt = await b.next(
      'command',
      (m) => m.payload.type === 'adopt_session' && m.payload.session_id === onA,
      TAKEOVER_DEADLINE_MS,
    );
    const elapsed = Date.now() - killedAt;
    // The disconnect alone moves nothing: a restarting agent or replica must not lose its sessions.
    assert.ok(elapsed >= TIMEOUT_MS - 600, `adopted after ${elapsed} ms, before the heartbeat timeout`);
    assert.deepEqual(adopt.payload.payload, { from_agent_id: idA });
    const moved = await session(onA);
    assert.equal(moved.agent_id, idB);
    assert.equal(moved.state, 'running', 'the session keeps running while it changes hands');
    assert.match(
      moved.state_reason,
      new RegExp(`taken over by agent ${idB} of pool .* after agent ${idA} went offline`),
    );
    b.send('command_ack', { command_id: adopt.payload.command_id });
    b.reportStatus(onA, 'running');
    b.send('command_result', {
      command_id: adopt.payload.command_id,
      ok: true,
      data: { vnc_host: '10.0.0.2', vnc_port: 5900 },
    });

    // The old agent returns and reports both containers (it sees the pool's): it gets nothing to
    // do, and a late report about the moved session is refused instead of changing it.
    const returned = await register(idA, {
      pool,
      sessions: [
        { session_id: onA, state: 'running' },
        { session_id: onB, state: 'running' },
      ],
    });
    returned.reportStatus(onA, 'failed', { reason: 'late report from before the takeover' });
    const refused = await returned.next('error');
    assert.equal(refused.payload.code, 'unknown_session');
    assert.equal((await session(onA)).agent_id, idB);
    assert.equal((await session(onA)).state, 'running');
    assert.deepEqual(
      (await commandsOf(idA)).map((c) => [c.command_type, c.status]),
      [['start_session', 'completed']],
      'the returning agent is asked to stop or delete nothing',
    );

    // Later commands for the moved session go to its new owner.
    await cp.api('PATCH', `/api/v1/sessions/${onA}`, { body: { state: 'stopped' } });
    const stop = await b.next('command', (m) => m.payload.type === 'stop_session' && m.payload.session_id === onA);
    b.send('command_result', { command_id: stop.payload.command_id, ok: true });
    b.reportStatus(onA, 'stopped');
    await waitFor('stopped by the new owner', async () => (await session(onA)).state === 'stopped');
    assert.equal(returned.received.filter((m) => m.type === 'command').length, 0);
    await returned.close();
    await b.close();
  });

  test('a revoked agent’s running session is adopted by its pool at once, not after the heartbeat timeout, and the revoked agent cannot come back for it', async () => {
    // A long timeout of its own, so "at once" and "after the timeout" cannot be confused.
    const longTimeoutMs = 10_000;
    const ownFresh = await target.fresh();
    const own = await (
      await startTestControlPlane(ownFresh, { env: { AGENT_HEARTBEAT_TIMEOUT: `${longTimeoutMs}ms` } })
    ).loginAsAdmin();
    const connected: AgentSimulator[] = [];
    try {
      const pool = unique('docker:engine');
      const [idA, idB] = [unique('revoked-a'), unique('revoked-b')];
      const joined = async (agentId: string) => {
        const { agent } = await AgentSimulator.register(own.wsUrl, AGENT_TOKEN, { agent_id: agentId, pool });
        connected.push(agent);
        return agent;
      };
      const a = await joined(idA);
      const id = (await own.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string;
      await runStart(a, id);
      await waitFor('running', async () => (await own.api('GET', `/api/v1/sessions/${id}`)).body.state === 'running');
      const b = await joined(idB);

      const revokedAt = Date.now();
      assert.equal((await own.api('POST', `/api/v1/agents/${idA}/revoke`)).status, 200);
      const adopt = await b.next(
        'command',
        (m) => m.payload.type === 'adopt_session' && m.payload.session_id === id,
        longTimeoutMs + 10_000,
      );
      const elapsed = Date.now() - revokedAt;
      assert.ok(
        elapsed < longTimeoutMs / 2,
        `adopted ${elapsed} ms after the revoke: revocation is final, no need to wait`,
      );
      assert.deepEqual(adopt.payload.payload, { from_agent_id: idA });
      const moved = (await own.api('GET', `/api/v1/sessions/${id}`)).body;
      assert.equal(moved.agent_id, idB);
      assert.equal(moved.state, 'running', 'the session keeps running while it changes hands');
      assert.match(moved.state_reason, new RegExp(`taken over by agent ${idB} .* after agent ${idA} was revoked`));

      // The revoked agent cannot come back to report on the session or take it back.
      assert.equal((await a.closed()).code, CloseCode.Revoked);
      await assert.rejects(
        AgentSimulator.register(own.wsUrl, undefined, {
          agent_id: idA,
          pool,
          sessions: [{ session_id: id, state: 'running' }],
        }),
        /401 .*unknown or revoked/,
      );
      const withJoinToken = await AgentSimulator.connect(own.wsUrl, {
        joinToken: AGENT_TOKEN,
        credential: simulatorCredential(idA),
      });
      withJoinToken.send('register', {
        agent_id: idA,
        pool,
        platform: 'docker',
        version: 'x',
        capacity: UNLIMITED,
        sessions: [{ session_id: id, state: 'stopped' }],
      });
      assert.equal((await withJoinToken.closed()).code, CloseCode.Revoked);
      const after = (await own.api('GET', `/api/v1/sessions/${id}`)).body;
      assert.deepEqual([after.agent_id, after.state], [idB, 'running']);
    } finally {
      for (const agent of connected) await agent.close().catch(() => undefined);
      await own.stop();
      await ownFresh.close();
    }
  });

  test('a command in flight on the dead agent is re-sent to the new owner; agents without a pool keep their sessions', async () => {
    const pool = unique('docker:engine');
    const [idA, idB] = [unique('inflight-a'), unique('inflight-b')];
    const a = await register(idA, { pool });
    const s = await createSession();
    await runStart(a, s);
    await waitFor('running', async () => (await session(s)).state === 'running');
    // An agent from before pools, killed at the same moment as A: the control.
    const oldId = unique('no-pool');
    const old = await register(oldId);
    const onOld = await createSession();
    assert.equal((await session(onOld)).agent_id, oldId, 'placed on the least used agent');
    await runStart(old, onOld);
    await waitFor('running', async () => (await session(onOld)).state === 'running');
    const b = await register(idB, { pool });

    // Hibernate is sent to A, which dies before finishing it.
    await cp.api('PATCH', `/api/v1/sessions/${s}`, { body: { state: 'hibernated' } });
    const hibernate = await a.next('command', (m) => m.payload.type === 'hibernate_session');
    a.send('command_ack', { command_id: hibernate.payload.command_id });
    await Promise.all([a.kill(), old.kill()]);

    const resent = await b.next(
      'command',
      (m) => m.payload.session_id === s && m.payload.type === 'hibernate_session',
      TAKEOVER_DEADLINE_MS,
    );
    assert.notEqual(resent.payload.command_id, hibernate.payload.command_id);
    assert.deepEqual(
      (await commandsOf(idA)).map((c) => [c.command_type, c.status]),
      [
        ['start_session', 'completed'],
        ['hibernate_session', 'cancelled'],
      ],
    );
    b.send('command_result', { command_id: resent.payload.command_id, ok: true });
    b.reportStatus(s, 'hibernated');
    await waitFor('hibernated by the new owner', async () => (await session(s)).state === 'hibernated');
    assert.equal((await session(onOld)).agent_id, oldId, 'an agent without a pool is a pool of its own');
    await b.close();
  });
});

test('across replicas: the agent dies on one replica, its pool member on another adopts the session once', async () => {
  const url = await (await sharedPostgres()).createDatabase('pools');
  const fresh = { kind: 'postgres' as const, url, close: async () => undefined };
  const [r1, r2] = await Promise.all([
    startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'pools-1' } }),
    startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'pools-2' } }),
  ]);
  try {
    await r1.loginAsAdmin();
    const pool = unique('kubernetes:streamspace@https://10.0.0.1:6443');
    const { agent: a } = await AgentSimulator.register(r1.wsUrl, AGENT_TOKEN, { agent_id: 'replica-pool-a', pool });
    const id = (await r1.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string;
    await runStart(a, id);
    await waitFor('running', async () => (await r1.api('GET', `/api/v1/sessions/${id}`)).body.state === 'running');
    const { agent: b } = await AgentSimulator.register(r2.wsUrl, AGENT_TOKEN, {
      agent_id: 'replica-pool-b',
      pool,
      platform: 'docker',
    });

    await a.kill();
    const adopt = await b.next('command', (m) => m.payload.type === 'adopt_session', TAKEOVER_DEADLINE_MS);
    assert.equal(adopt.payload.session_id, id);
    // Both replicas run the takeover each tick; the database lets one of them move the session.
    const rows = await r2.cp.database.db
      .selectFrom('agent_commands')
      .select('status')
      .where('session_id', '=', id)
      .where('command_type', '=', 'adopt_session')
      .execute();
    assert.equal(rows.length, 1);

    // The new owner finds no container: the session fails with its words, not silently.
    b.send('command_result', { command_id: adopt.payload.command_id, ok: false, error: 'no container on this engine' });
    await waitFor('failed', async () => {
      const s = (await r1.api('GET', `/api/v1/sessions/${id}`)).body;
      return s.state === 'failed' && s.state_reason === 'adopt_session failed: no container on this engine';
    });
    await b.close();
  } finally {
    await Promise.all([r1.stop(), r2.stop()]);
  }
});
