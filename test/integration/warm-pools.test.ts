import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { RunningAgent } from '@streamspace/agent';
import { forEachDatabase, sharedPostgres, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import {
  removeAgentResources,
  requireContainerEngine,
  sessionContainers,
  startDockerAgent,
} from '../support/podman.js';
import { openViewer, ticketPath } from '../support/vnc-viewer.js';
import { waitFor } from '../support/wait-for.js';

// Warm pools (issue 16, section 5) with real parts: a control plane, a Docker agent on podman and
// the xterm session image. A template keeps N sessions running ahead; a user's start claims one.

const POOL_OWNER = encodeURIComponent('(warm pool)');
const ENV = { AGENT_HEARTBEAT_TIMEOUT: '1500ms' };

interface PoolRow {
  template: string;
  size: number;
  ready: number;
  starting: number;
  failures: number;
  last_error: string | null;
}

const poolOf = async (cp: TestControlPlane, template: string): Promise<PoolRow | undefined> =>
  ((await cp.api('GET', '/api/v1/admin/overview')).body.warm_pools as PoolRow[]).find((p) => p.template === template);

/** The pool's unclaimed sessions as admins list them: owned by "(warm pool)". */
const poolSessions = async (cp: TestControlPlane, template: string) =>
  (
    (await cp.api('GET', `/api/v1/sessions?user=${POOL_OWNER}`)).body as Array<{
      id: string;
      state: string;
      template: string;
    }>
  ).filter((s) => s.template === template);

const poolReady = (cp: TestControlPlane, template: string, ready: number, timeoutMs = 60_000) =>
  waitFor(
    `${ready} ready in ${template}'s warm pool`,
    async () => {
      const pool = await poolOf(cp, template);
      return pool && pool.ready === ready && pool.starting === 0 ? pool : undefined;
    },
    timeoutMs,
    100,
  );

const addTemplate = async (cp: TestControlPlane, body: Record<string, unknown>) => {
  const created = await cp.api('POST', '/api/v1/templates', {
    body: { display_name: String(body.name), image: 'streamspace/xterm:latest', memory_limit_mb: 256, ...body },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
};

forEachDatabase('warm pools', (target) => {
  const agentId = `warm-${target.name.toLowerCase()}-${process.pid}`;
  let docker: Docker;
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  let agent: RunningAgent;
  let bob: string;

  before(async () => {
    docker = await requireContainerEngine();
    await removeAgentResources(docker, agentId);
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh, { env: ENV })).loginAsAdmin();
    agent = await startDockerAgent(cp.url, agentId, { env: { HEARTBEAT_INTERVAL: '500ms' } });
    bob = await cp.createUser('bob');
    await addTemplate(cp, { name: 'warm-xterm', warm_pool: 2 });
  });
  after(async () => {
    await agent?.stop();
    await cp?.stop();
    await fresh?.close();
    if (docker) await removeAgentResources(docker, agentId);
  });

  test('persistent_home with a warm pool is refused with a 400 naming warm_pool, on create and on change', async () => {
    const created = await cp.api('POST', '/api/v1/templates', {
      body: { name: 'homes', display_name: 'Homes', image: 'x:1', persistent_home: true, warm_pool: 1 },
    });
    assert.equal(created.status, 400);
    assert.equal(created.body.field, 'warm_pool');
    assert.match(created.body.message, /persistent_home/);
    const changed = await cp.api('PATCH', '/api/v1/templates/warm-xterm', { body: { persistent_home: true } });
    assert.equal(changed.status, 400);
    assert.equal(changed.body.field, 'warm_pool');
    const tooMany = await cp.api('PATCH', '/api/v1/templates/warm-xterm', { body: { warm_pool: 51 } });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.field, 'warm_pool');
    assert.equal((await cp.api('GET', '/api/v1/templates/warm-xterm')).body.warm_pool, 2);
  });

  test('the pool fills to its size; its sessions are nobody’s: not viewable, not in the user list', async () => {
    const pool = await poolReady(cp, 'warm-xterm', 2);
    assert.equal(pool.size, 2);
    const sessions = await poolSessions(cp, 'warm-xterm');
    assert.deepEqual(
      sessions.map((s) => s.state),
      ['running', 'running'],
    );
    const connect = await cp.api('POST', `/api/v1/sessions/${sessions[0]!.id}/connect`);
    assert.equal(connect.status, 409);
    assert.equal(connect.body.error, 'session_in_warm_pool');
    const share = await cp.api('POST', `/api/v1/sessions/${sessions[0]!.id}/shares`, {
      body: { mode: 'view', expires_in: '1h' },
    });
    assert.equal(share.status, 409);
    const users = (await cp.api('GET', '/api/v1/users')).body as Array<{ username: string }>;
    assert.ok(!users.some((u) => u.username === '(warm pool)'));
    // Nobody may create a session "for" the pool's owner either.
    const forPool = await cp.api('POST', '/api/v1/sessions', { body: { template: 'warm-xterm', user: '(warm pool)' } });
    assert.equal(forPool.status, 404);
  });

  test('a start claims a running pool session: running at once, a frame through the VNC path, a replacement behind it, not counted against the limit before', async () => {
    const before = new Set((await poolSessions(cp, 'warm-xterm')).map((s) => s.id));
    // Two pool sessions run, yet a user allowed one session can start: the pool's are nobody's.
    const bobId = ((await cp.api('GET', '/api/v1/users/me', { token: bob })).body as { id: string }).id;
    assert.equal((await cp.api('PATCH', `/api/v1/users/${bobId}`, { body: { max_sessions: 1 } })).status, 200);
    const started = await cp.api('POST', '/api/v1/sessions', { body: { template: 'warm-xterm' }, token: bob });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.state, 'running');
    assert.equal(started.body.user, 'bob');
    assert.ok(before.has(started.body.id), 'one of the pool’s sessions was handed over');
    const viewer = await openViewer(cp, await ticketPath(cp, started.body.id, 'control', bob));
    assert.ok(viewer.width > 0 && viewer.height > 0);
    viewer.socket.close();
    // The claimed session now counts: bob is at his limit.
    const second = await cp.api('POST', '/api/v1/sessions', { body: { template: 'warm-xterm' }, token: bob });
    assert.equal(second.status, 429);
    await poolReady(cp, 'warm-xterm', 2);
    const after = await poolSessions(cp, 'warm-xterm');
    assert.ok(!after.some((s) => s.id === started.body.id));
    assert.equal(after.filter((s) => !before.has(s.id)).length, 1, 'one replacement');
    const audit = await cp.api('GET', `/api/v1/audit?action=session.create&target_id=${started.body.id}`);
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    const [entry] = audit.body.entries as Array<{ actor: string; details: Record<string, unknown> }>;
    assert.equal(entry?.actor, 'bob');
    assert.equal(entry?.details.warm, true, JSON.stringify(audit.body));
    assert.equal((await cp.api('DELETE', `/api/v1/sessions/${started.body.id}`, { token: bob })).status, 200);
    assert.equal((await cp.api('PATCH', `/api/v1/users/${bobId}`, { body: { max_sessions: null } })).status, 200);
  });

  test('a template change drains the pool and refills it from the new template; shrinking to 0 drains it', async () => {
    const old = new Set((await poolSessions(cp, 'warm-xterm')).map((s) => s.id));
    const changed = await cp.api('PATCH', '/api/v1/templates/warm-xterm', { body: { env: { WARM_TEST: 'v2' } } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const refilled = await waitFor(
      'the pool refilled from the changed template',
      async () => {
        const now = await poolSessions(cp, 'warm-xterm');
        const ready = now.length === 2 && now.every((s) => !old.has(s.id) && s.state === 'running');
        return ready && now.map((s) => s.id);
      },
      60_000,
      100,
    );
    for (const id of old) {
      const gone = (await cp.api('GET', `/api/v1/sessions/${id}`)).body;
      assert.equal(gone.state, 'deleted');
      assert.match(gone.state_reason, /drained from the warm pool: its template changed/);
    }
    assert.equal((await cp.api('PATCH', '/api/v1/templates/warm-xterm', { body: { warm_pool: 0 } })).status, 200);
    await waitFor('the pool drained', async () => (await poolSessions(cp, 'warm-xterm')).length === 0, 30_000, 100);
    await waitFor(
      'their containers removed',
      async () => {
        for (const id of [...old, ...refilled]) if ((await sessionContainers(docker, id)).length > 0) return false;
        return true;
      },
      30_000,
      100,
    );
    assert.equal(await poolOf(cp, 'warm-xterm'), undefined);
  });

  test('idle hibernation leaves unclaimed pool sessions alone', async () => {
    await addTemplate(cp, { name: 'idle-pooled', warm_pool: 1, idle_timeout: '1s' });
    await addTemplate(cp, { name: 'idle-plain', idle_timeout: '1s' });
    await poolReady(cp, 'idle-pooled', 1);
    const [pooled] = await poolSessions(cp, 'idle-pooled');
    // Started after the pool session was running, so idle for less time than it: once this one is
    // hibernated, the idle rule has passed the pool session too.
    const plain = await cp.api('POST', '/api/v1/sessions', { body: { template: 'idle-plain' }, token: bob });
    await waitFor(
      'the plain session hibernated for idleness',
      async () =>
        (await cp.api('GET', `/api/v1/sessions/${plain.body.id}`, { token: bob })).body.state === 'hibernated',
      60_000,
      100,
    );
    assert.equal((await cp.api('GET', `/api/v1/sessions/${pooled!.id}`)).body.state, 'running');
    // Deleting the template drains what its pool held.
    assert.equal((await cp.api('DELETE', '/api/v1/templates/idle-pooled')).status, 204);
    await waitFor(
      'the deleted template’s pool drained',
      async () => (await cp.api('GET', `/api/v1/sessions/${pooled!.id}`)).body.state === 'deleted',
      30_000,
      100,
    );
    await cp.api('DELETE', `/api/v1/sessions/${plain.body.id}`, { token: bob });
  });

  test('failed pool starts back off instead of spinning, and the reason reaches the dashboard', async () => {
    await addTemplate(cp, { name: 'broken-pool', image: 'localhost:1/streamspace/none:latest', warm_pool: 2 });
    const failed = await waitFor(
      'two failed starts recorded',
      async () => {
        const pool = await poolOf(cp, 'broken-pool');
        return pool && pool.failures >= 2 ? pool : undefined;
      },
      60_000,
      100,
    );
    assert.ok(failed.last_error && failed.last_error.length > 0);
    // With backoff one probe at a time: few sessions were ever made for it.
    const made = await cp.cp.database.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('template_name', '=', 'broken-pool')
      .executeTakeFirstOrThrow();
    assert.ok(Number(made.n) <= failed.failures + 2, `made ${made.n} sessions for ${failed.failures} failures`);
    assert.ok(
      cp.logs.messages().some((l) => /warm pool session failed; next start in/.test(String(l.msg))),
      'the failure is logged',
    );
    assert.equal((await cp.api('DELETE', '/api/v1/templates/broken-pool')).status, 204);
  });
});

describe('warm pools with two replicas on one PostgreSQL', () => {
  const agentId = `warm-replicas-${process.pid}`;
  let docker: Docker;
  let a: TestControlPlane;
  let b: TestControlPlane;
  let agent: RunningAgent;

  before(async () => {
    docker = await requireContainerEngine();
    await removeAgentResources(docker, agentId);
    const url = await (await sharedPostgres()).createDatabase('warm');
    const fresh = { kind: 'postgres' as const, url, close: async () => undefined };
    [a, b] = await Promise.all([
      startTestControlPlane(fresh, { env: { ...ENV, REPLICA_ID: 'warm-a' } }),
      startTestControlPlane(fresh, { env: { ...ENV, REPLICA_ID: 'warm-b' } }),
    ]);
    await a.loginAsAdmin();
    b.token = a.token;
    agent = await startDockerAgent(a.url, agentId, { env: { HEARTBEAT_INTERVAL: '500ms' } });
  });
  after(async () => {
    await agent?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    if (docker) await removeAgentResources(docker, agentId);
  });

  test('both replicas keep the pool at its size, and concurrent claims on both get distinct sessions', async () => {
    await addTemplate(a, { name: 'warm-shared', warm_pool: 2 });
    await poolReady(a, 'warm-shared', 2);
    assert.equal((await poolSessions(b, 'warm-shared')).length, 2, 'no replica overfilled the pool');
    const tokens = await Promise.all(['carol', 'dave', 'erin', 'frank'].map((name) => a.createUser(name)));
    const starts = await Promise.all(
      tokens.map((token, i) =>
        (i % 2 ? b : a).api('POST', '/api/v1/sessions', { body: { template: 'warm-shared' }, token }),
      ),
    );
    for (const s of starts) assert.equal(s.status, 201, JSON.stringify(s.body));
    const claimed = starts.filter((s) => s.body.state === 'running').map((s) => s.body.id as string);
    assert.equal(claimed.length, 2, 'two pool sessions to claim, two running at once');
    assert.equal(new Set(claimed).size, 2, 'each handed to one user only');
    const owners = new Set(starts.filter((s) => s.body.state === 'running').map((s) => s.body.user as string));
    assert.equal(owners.size, 2);
    // The others started cold and run too; the pool refills behind them, still to its size.
    await poolReady(b, 'warm-shared', 2);
    assert.equal((await poolSessions(a, 'warm-shared')).length, 2);
  });
});
