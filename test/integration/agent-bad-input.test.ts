import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MAX_FRAME_BYTES, HARD_MAX_FRAME_BYTES } from '@streamspace/protocol';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator, simulatorCredential } from '../support/agent-simulator.js';

const SOME_UUID = '6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d';

/** Random frames of the kinds a broken or hostile agent sends: bytes, JSON of the wrong shape,
 * envelopes with wrong types, valid types with mangled payloads. Seeded by Math.random; the seed
 * is not needed to reproduce a failure because every frame must get the same treatment. */
function randomFrame(i: number): { data: string | Buffer; binary: boolean } {
  const kinds = [
    () => ({ data: randomBytes(1 + (i % 200)), binary: true }),
    () => ({ data: randomBytes(1 + (i % 200)).toString('latin1'), binary: false }),
    () => ({
      data: JSON.stringify([
        { v: 1, type: 'heartbeat' },
        { v: 1, type: 'heartbeat' },
      ]),
      binary: false,
    }),
    () => ({ data: JSON.stringify({ v: i, type: 'register', payload: {} }), binary: false }),
    () => ({
      data: JSON.stringify({
        v: 1,
        type: ['command_ack', 'session_status', 'nope', 42][i % 4],
        payload: i % 3 ? {} : null,
      }),
      binary: false,
    }),
    () => ({
      data: JSON.stringify({
        v: 1,
        type: 'register',
        payload: { agent_id: '', platform: 'vm', capacity: 'lots', sessions: {} },
      }),
      binary: false,
    }),
    () => ({ data: 'null', binary: false }),
    () => ({ data: '{"v":1,"type":"heartbeat","payload":{"capacity":{"max_sessions":-1}}', binary: false }),
  ];
  return kinds[i % kinds.length]!();
}

forEachDatabase('agent channel bad input', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  });
  after(async () => {
    await cp.stop();
    await fresh.close();
  });

  test('each bad frame gets an error naming the problem, and the connection stays usable', async () => {
    const agent = await AgentSimulator.connect(cp.wsUrl, {
      joinToken: AGENT_TOKEN,
      credential: simulatorCredential('bad-input-survivor'),
    });
    const cases: Array<[string | Buffer, boolean, string, RegExp]> = [
      ['{"v":1,"type":"heartbeat","payload":{"capacity":', false, 'invalid_json', /not JSON/],
      [
        JSON.stringify({
          v: 1,
          type: 'heartbeat',
          payload: {
            capacity: { max_sessions: 1, max_cpu: 0, max_memory_gb: 0 },
            used: { sessions: 0, cpu: 0, memory_gb: 0 },
          },
        }),
        false,
        'not_registered',
        /send register before heartbeat/,
      ],
      [
        JSON.stringify({
          v: 1,
          type: 'register',
          payload: {
            agent_id: 'x',
            platform: 'vm',
            version: '1',
            capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
            sessions: [],
          },
        }),
        false,
        'invalid_payload',
        /^register\.platform: /,
      ],
      [
        JSON.stringify({ v: 2, type: 'register', payload: {} }),
        false,
        'unsupported_version',
        /expected protocol version 1, got 2/,
      ],
      [
        JSON.stringify({ v: 1, type: 'explode', payload: {} }),
        false,
        'unknown_type',
        /unknown agent message "explode"/,
      ],
      [Buffer.from([1, 2, 3]), true, 'binary_not_allowed', /JSON text frames only/],
      ['x'.repeat(MAX_FRAME_BYTES + 10), false, 'frame_too_large', /exceeds the 1048576-byte limit/],
    ];
    for (const [data, binary, code, message] of cases) {
      agent.sendRaw(data, binary);
      const error = await agent.next('error');
      assert.equal(error.payload.code, code, `for ${String(data).slice(0, 60)}`);
      assert.match(error.payload.message, message);
    }
    // Still connected: a good register now works on the same socket.
    agent.send('register', {
      agent_id: 'bad-input-survivor',
      platform: 'docker',
      version: '1',
      capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
      sessions: [],
    });
    await agent.next('registered');

    agent.send('command_ack', { command_id: SOME_UUID });
    assert.match((await agent.next('error')).payload.message, /command_ack for command .* never sent to this agent/);
    agent.reportStatus(SOME_UUID, 'running');
    assert.equal((await agent.next('error')).payload.code, 'unknown_session');
    agent.send('register', {
      agent_id: 'again',
      platform: 'docker',
      version: '1',
      capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
      sessions: [],
    });
    assert.equal((await agent.next('error')).payload.code, 'already_registered');
    await agent.close();
  });

  test('a connection that keeps sending garbage is closed with a reason', async () => {
    const agent = await AgentSimulator.connect(cp.wsUrl, AGENT_TOKEN);
    for (let i = 0; i < 30; i++) agent.sendRaw(`garbage ${i}`);
    const closed = await agent.closed();
    assert.equal(closed.code, 4400);
    assert.match(closed.reason, /too many invalid frames \(21 in 10s\), last: invalid_json/);
  });

  test('a frame above the hard limit is refused by the WebSocket layer (1009)', async () => {
    const agent = await AgentSimulator.connect(cp.wsUrl, AGENT_TOKEN);
    agent.sendRaw('y'.repeat(HARD_MAX_FRAME_BYTES + 1));
    const closed = await agent.closed();
    assert.equal(closed.code, 1009);
  });

  test('fuzz: thousands of random frames never take the server down; the next good frame is answered', async () => {
    const frames = 4000;
    let errors = 0;
    let closes = 0;
    // Batches of 15 stay under the strike limit, so each connection answers every frame.
    for (let sent = 0; sent < frames;) {
      const agent = await AgentSimulator.connect(cp.wsUrl, AGENT_TOKEN);
      for (let i = 0; i < 15 && sent < frames; i++, sent++) {
        const { data, binary } = randomFrame(sent);
        agent.sendRaw(data, binary);
        await agent.next('error');
        errors++;
      }
      await agent.close();
      closes++;
    }
    assert.equal(errors, frames, 'every bad frame answered with an error');
    // And a connection that never stops is closed, not left to spin.
    const flood = await AgentSimulator.connect(cp.wsUrl, AGENT_TOKEN);
    for (let i = 0; i < 200; i++) {
      const { data, binary } = randomFrame(i);
      flood.sendRaw(data, binary);
    }
    assert.equal((await flood.closed()).code, 4400);

    const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'after-fuzz' });
    assert.equal((await cp.api('GET', '/api/v1/agents/after-fuzz')).body.status, 'online');
    assert.equal((await cp.api('GET', '/health', { token: null })).status, 200);
    assert.ok(closes > 200);
    await agent.close();
  });
});
