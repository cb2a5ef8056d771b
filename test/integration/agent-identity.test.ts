import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import WebSocket from 'ws';
import { CloseCode } from '@streamspace/protocol';
import { deriveTunnelKey, tunnelToken } from '@streamspace/control-plane';
import { dialRawTunnel, tunnelUrl } from '@streamspace/agent';
import { PGLITE, forEachDatabase, sharedPostgres, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, JWT_SECRET, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator, UNLIMITED, simulatorCredential } from '../support/agent-simulator.js';
import { AgentProcess } from '../support/agent-process.js';
import { spawnCollect } from '../support/postgres-server.js';
import { TEST_DOCKER_HOST, removeAgentResources, requireContainerEngine } from '../support/podman.js';
import { waitFor } from '../support/wait-for.js';
import { STREAMSPACE } from '../support/streamspace-command.js';

const IMPOSTOR_CREDENTIAL = `ssa_impostor_${'x'.repeat(40)}`;
const sendRegister = (agent: AgentSimulator, agent_id: string) =>
  agent.send('register', { agent_id, platform: 'docker', version: 'x', capacity: UNLIMITED, sessions: [] });

/** Issue 11 §1: the join token enrolls new agent ids and nothing else; enrolled ids need their own
 * credential; admins revoke. Simulated agents speak the real protocol over real WebSockets. */
forEachDatabase('agent identity', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  const agents: AgentSimulator[] = [];
  const track = <T extends { agent: AgentSimulator }>(r: T) => (agents.push(r.agent), r);

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  });
  after(async () => {
    for (const agent of agents) await agent.close().catch(() => undefined);
    await cp.stop();
    await fresh.close();
  });

  test('the join token cannot register an enrolled, online agent: refused, the agent keeps its connection and commands', async () => {
    const { agent: real } = track(await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'victim' }));
    // The attack of issue 11: join token + the victim's id, with a credential of its own, or none.
    for (const auth of [{ joinToken: AGENT_TOKEN, credential: IMPOSTOR_CREDENTIAL }, AGENT_TOKEN]) {
      const impostor = await AgentSimulator.connect(cp.wsUrl, auth);
      sendRegister(impostor, 'victim');
      const closed = await impostor.closed();
      assert.equal(closed.code, CloseCode.IdentityRefused);
      assert.match(closed.reason, /agent victim is enrolled and this connection lacks its credential/);
      assert.equal(impostor.received.filter((m) => m.type === 'registered').length, 0);
    }
    assert.equal(real.socket.readyState, real.socket.OPEN, 'the real agent was not displaced');
    const row = (await cp.api('GET', '/api/v1/agents/victim')).body;
    assert.equal(row.status, 'online');
    assert.equal(row.enrolled, true);
    assert.ok(row.enrolled_at);
    assert.equal(row.last_address, '127.0.0.1');
    // Its commands still reach it.
    const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
    const start = await real.next('command', (m) => m.payload.session_id === created.body.id);
    assert.equal(start.payload.type, 'start_session');
    await cp.api('DELETE', `/api/v1/sessions/${created.body.id}`);
  });

  test('an enrolled agent reconnects with its credential alone; an unknown credential without the join token is refused', async () => {
    const first = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'returning' });
    await first.agent.close();
    track(await AgentSimulator.register(cp.wsUrl, undefined, { agent_id: 'returning' }));
    await assert.rejects(
      AgentSimulator.connect(cp.wsUrl, { credential: IMPOSTOR_CREDENTIAL }),
      /401 .*unknown or revoked/,
    );
    // Enrolling needs the join token: a credential of its own is not enough.
    const stranger = await AgentSimulator.connect(cp.wsUrl, { credential: simulatorCredential('returning') });
    sendRegister(stranger, 'not-enrolled-yet');
    assert.equal((await stranger.closed()).code, CloseCode.IdentityRefused);
  });

  test('a multi-byte agent id is refused with a clear reason within the close-reason limit, and nothing breaks', async () => {
    const agent = await AgentSimulator.connect(cp.wsUrl, { joinToken: AGENT_TOKEN, credential: IMPOSTOR_CREDENTIAL });
    sendRegister(agent, 'агент-'.repeat(30));
    const closed = await agent.closed();
    assert.equal(closed.code, CloseCode.InvalidAgentId);
    assert.match(closed.reason, /^agent id "агент-агент/);
    assert.ok(Buffer.byteLength(closed.reason) <= 123);
    assert.equal((await cp.api('GET', '/health', { token: null })).status, 200);
    track(await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'after-bad-id' }));
  });

  test("an agent cannot report on, or finish commands of, another agent's session", async () => {
    // Only the owner is online when the session is placed.
    for (const agent of agents.splice(0)) await agent.close();
    // A closed socket is seen by the hub a moment later; until then the scheduler may still place
    // the session on one of them, and the owner would wait for a command that went elsewhere.
    await waitFor(
      'the other agents offline',
      async () => !(await cp.api('GET', '/api/v1/agents')).body.some((a: { status: string }) => a.status === 'online'),
    );
    const { agent: owner } = track(await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'owner' }));
    const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
    const id = created.body.id as string;
    const start = await owner.next('command', (m) => m.payload.session_id === id);
    owner.send('command_ack', { command_id: start.payload.command_id });
    owner.reportStatus(id, 'starting');
    await waitFor('starting', async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'starting');

    const { agent: other } = track(await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'other' }));
    other.reportStatus(id, 'failed', { reason: 'sabotage' });
    const refused = await other.next('error');
    assert.equal(refused.payload.code, 'unknown_session');
    other.send('command_result', { command_id: start.payload.command_id, ok: false, error: 'sabotage' });
    assert.equal((await other.next('error')).payload.code, 'unknown_command');
    const session = (await cp.api('GET', `/api/v1/sessions/${id}`)).body;
    assert.equal(session.state, 'starting', 'neither report changed the session');
    await cp.api('DELETE', `/api/v1/sessions/${id}`);
  });

  test("another agent cannot join a session's VNC tunnel: not with the owner's token, not with one made for itself; the owner's dial streams", async () => {
    for (const agent of agents.splice(0)) await agent.close();
    // A closed socket is seen by the hub a moment later; until then the scheduler may still place
    // the session on one of them, and the owner would wait for a command that went elsewhere.
    await waitFor(
      'the other agents offline',
      async () => !(await cp.api('GET', '/api/v1/agents')).body.some((a: { status: string }) => a.status === 'online'),
    );
    const { agent: owner } = track(await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'tunnel-owner' }));
    const id = (await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string;
    const start = await owner.next('command', (m) => m.payload.session_id === id);
    owner.reportStatus(id, 'running');
    owner.send('command_result', { command_id: start.payload.command_id, ok: true });
    await waitFor('running', async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'running');
    track(await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'tunnel-intruder' }));
    const intruderUuid = (
      await cp.cp.database.db
        .selectFrom('agents')
        .select('id')
        .where('agent_id', '=', 'tunnel-intruder')
        .executeTakeFirstOrThrow()
    ).id;

    const { path } = (await cp.api('POST', `/api/v1/sessions/${id}/connect`)).body as { path: string };
    const viewer = new WebSocket(`${cp.url.replace('http', 'ws')}${path}`, ['binary'], {
      headers: { origin: cp.url },
    });
    await new Promise((resolve, reject) => viewer.once('open', resolve).once('error', reject));
    const open = await owner.next('command', (m) => m.payload.type === 'open_tunnel' && m.payload.session_id === id);
    const { tunnel_id: tunnelId, token } = open.payload.payload as { tunnel_id: string; token: string };
    const url = tunnelUrl(cp.wsUrl, tunnelId);

    // The owner's token, copied: the dial names its own agent by its credential.
    await assert.rejects(
      dialRawTunnel(url, token, simulatorCredential('tunnel-intruder')),
      new RegExp(`^Error: HTTP 403: .*tunnel ${tunnelId} belongs to another agent's session`),
    );
    // …or the owner's credential missing altogether.
    await assert.rejects(dialRawTunnel(url, token, ''), /^Error: HTTP 401: .*agent credential/);
    // The token the control plane would have made for the intruder: tokens bind the session's agent.
    const ownToken = tunnelToken(deriveTunnelKey(JWT_SECRET), tunnelId, intruderUuid);
    await assert.rejects(
      dialRawTunnel(url, ownToken, simulatorCredential('tunnel-intruder')),
      new RegExp(`^Error: HTTP 401: .*wrong or missing token for tunnel ${tunnelId}`),
    );
    assert.equal(viewer.readyState, WebSocket.OPEN, 'refused dials leave the viewer waiting for its agent');

    const { socket: tunnel } = await dialRawTunnel(url, token, simulatorCredential('tunnel-owner'));
    const atAgent = new Promise<string>((resolve) => tunnel.once('data', (d: Buffer) => resolve(d.toString())));
    // The proxy reads the viewer's RFB messages (view-only, activity): a real viewer's first bytes.
    viewer.send(Buffer.from('RFB 003.008\n'));
    assert.equal(await atAgent, 'RFB 003.008\n');
    const atViewer = new Promise<string>((resolve) => viewer.once('message', (d: Buffer) => resolve(d.toString())));
    tunnel.write('from the agent');
    assert.equal(await atViewer, 'from the agent');
    viewer.close();
    tunnel.destroy();
    await cp.api('DELETE', `/api/v1/sessions/${id}`);
  });

  test('revoke (admin only): disconnected at once, cannot come back with its credential or the join token', async () => {
    const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'to-revoke' });
    const user = await cp.api('POST', '/api/v1/users', {
      body: { username: 'plain-user', password: 'plain-user-password-1', role: 'user' },
    });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const login = await cp.api('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'plain-user', password: 'plain-user-password-1' },
    });
    const asUser = await cp.api('POST', '/api/v1/agents/to-revoke/revoke', { token: login.body.token });
    assert.equal(asUser.status, 403);

    const revoked = await cp.api('POST', '/api/v1/agents/to-revoke/revoke');
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.ok(revoked.body.revoked_at);
    const closed = await agent.closed();
    assert.equal(closed.code, CloseCode.Revoked);
    assert.match(closed.reason, /revoked by an admin/);
    await assert.rejects(
      AgentSimulator.connect(cp.wsUrl, { credential: simulatorCredential('to-revoke') }),
      /401 .*unknown or revoked/,
    );
    const again = await AgentSimulator.connect(cp.wsUrl, {
      joinToken: AGENT_TOKEN,
      credential: simulatorCredential('to-revoke'),
    });
    sendRegister(again, 'to-revoke');
    assert.equal((await again.closed()).code, CloseCode.Revoked);
    assert.equal((await cp.api('POST', '/api/v1/agents/nobody/revoke')).status, 404);
  });
});

test('revoke through one replica disconnects the agent held by another at once (PostgreSQL, LISTEN/NOTIFY)', async () => {
  const url = await (await sharedPostgres()).createDatabase('identity_replicas');
  const fresh = { kind: 'postgres' as const, url, close: async () => undefined };
  const [a, b] = await Promise.all([
    startTestControlPlane(fresh, { env: { REPLICA_ID: 'identity-a' } }),
    startTestControlPlane(fresh, { env: { REPLICA_ID: 'identity-b' } }),
  ]);
  try {
    await a.loginAsAdmin();
    b.token = a.token;
    const { agent } = await AgentSimulator.register(a.wsUrl, AGENT_TOKEN, { agent_id: 'held-by-a' });
    const revoked = await b.api('POST', '/api/v1/agents/held-by-a/revoke');
    assert.equal(revoked.status, 200);
    const closed = await agent.closed();
    assert.equal(closed.code, CloseCode.Revoked);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

/** The real agent: `streamspace agent docker` as its own process, a session container in podman. */
test('real agent: enrolls into a 0600 credential file, survives the attack with its session running, reconnects with the file, CLI lists and revokes it', async () => {
  const docker: Docker = await requireContainerEngine();
  const agentId = `identity-real-${process.pid}`;
  await removeAgentResources(docker, agentId);
  const fresh = await PGLITE.fresh();
  const cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  const processes: AgentProcess[] = [];
  const start = async () => {
    const agent = AgentProcess.start({
      AGENT_ID: agentId,
      CONTROL_PLANE_URL: cp.url,
      AGENT_TOKEN,
      DOCKER_HOST: TEST_DOCKER_HOST,
      HEARTBEAT_INTERVAL: '1s',
    });
    processes.push(agent);
    await agent.waitForLog(`Agent registered successfully: ${agentId}`);
    return agent;
  };
  const cli = (...args: string[]) =>
    spawnCollect(process.execPath, [STREAMSPACE, 'agent', ...args], {
      PATH: process.env.PATH,
      STREAMSPACE_URL: cp.url,
      STREAMSPACE_TOKEN: cp.token,
    });
  try {
    const first = await start();
    const file = AgentProcess.credentialFile(agentId);
    assert.equal((await stat(file)).mode & 0o777, 0o600, 'credential file is private to the agent');
    assert.match(await readFile(file, 'utf8'), /^ssa_[A-Za-z0-9_-]{43}\n$/);
    assert.match(first.output, /Created this agent's credential/);

    const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
    const id = created.body.id as string;
    await waitFor(
      'session running',
      async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === 'running',
      60_000,
    );

    const impostor = await AgentSimulator.connect(cp.wsUrl, {
      joinToken: AGENT_TOKEN,
      credential: IMPOSTOR_CREDENTIAL,
    });
    sendRegister(impostor, agentId);
    assert.equal((await impostor.closed()).code, CloseCode.IdentityRefused);
    assert.ok(!first.output.includes('Disconnected from Control Plane'), 'the real agent stayed connected');
    assert.equal((await cp.api('GET', `/api/v1/sessions/${id}`)).body.state, 'running');
    assert.equal((await cp.api('GET', `/api/v1/agents/${agentId}`)).body.status, 'online');

    // Restarted, it comes back as itself from the file (no new credential).
    await first.stop();
    const second = await start();
    assert.ok(!second.output.includes('Created this agent'), second.output.slice(-500));

    const list = await cli('list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^AGENT_ID\s+PLATFORM\s+STATUS\s+ENROLLED\s+FROM\s+LAST SEEN\s+LAST ADDRESS/);
    assert.match(
      list.stdout,
      new RegExp(`${agentId}\\s+docker\\s+online\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+127\\.0\\.0\\.1`),
    );

    const revoke = await cli('revoke', agentId);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.match(revoke.stdout, new RegExp(`agent ${agentId} revoked at`));
    assert.equal(await second.exited, 1, 'a revoked agent stops: no retry can help');
    assert.match(second.output, /refused agent .* for good \(4403\)/);
    assert.match((await cli('list')).stdout, new RegExp(`${agentId}\\s+docker\\s+revoked by admin`));
    const third = AgentProcess.start({
      AGENT_ID: agentId,
      CONTROL_PLANE_URL: cp.url,
      AGENT_TOKEN,
      DOCKER_HOST: TEST_DOCKER_HOST,
    });
    processes.push(third);
    assert.equal(await third.exited, 1, 'it cannot come back, not even with the join token');
    // No token and no stored login (an empty config directory): it says how to get one.
    const noToken = await spawnCollect(process.execPath, [STREAMSPACE, 'agent', 'list'], {
      PATH: process.env.PATH,
      XDG_CONFIG_HOME: await mkdtemp(join(tmpdir(), 'streamspace-no-login-')),
    });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /not logged in to \S+: run streamspace login, or set STREAMSPACE_TOKEN/);
  } finally {
    for (const p of processes) await p.stop();
    await cp.stop();
    await fresh.close();
    await removeAgentResources(docker, agentId);
  }
});
