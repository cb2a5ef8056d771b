import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { TEST_DOCKER_HOST, requireContainerEngine } from '../support/podman.js';
import { STREAMSPACE } from '../support/streamspace-command.js';
import { waitFor } from '../support/wait-for.js';

// `streamspace doctor` as a newcomer runs it: the real command against the real podman, real ports,
// an unreachable PostgreSQL and a running control plane with an agent gone offline.

let home: string;
let fresh: FreshDatabase;
let cp: TestControlPlane;

before(async () => {
  await requireContainerEngine();
  home = await mkdtemp(join(tmpdir(), 'streamspace-doctor-'));
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
});
after(async () => {
  await cp.stop();
  await fresh.close();
  await rm(home, { recursive: true, force: true });
});

/** A free port to give PORT / METRICS_PORT, so the check does not depend on what else runs here. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function doctor(args: string[], env: Record<string, string>) {
  const base = {
    PATH: process.env.PATH!,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    STREAMSPACE_DATA_DIR: join(home, 'data'),
    DOCKER_HOST: TEST_DOCKER_HOST,
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    METRICS_PORT: String(await freePort()),
  };
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [STREAMSPACE, 'doctor', ...args], { env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a healthy setup: engine, the image, free ports, writable data dir; agents skipped with how to check → exit 0', async () => {
  const run = await doctor(['--images', 'xterm'], {});
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^OK +container engine: (podman|docker) \S+ at /m);
  assert.match(run.stdout, /^OK +images: streamspace\/xterm:latest$/m);
  assert.match(run.stdout, /^OK +PORT \d+: free on 127\.0\.0\.1$/m);
  assert.match(run.stdout, /^OK +METRICS_PORT \d+: free/m);
  assert.match(run.stdout, /^OK +database: embedded PGlite in .*\/data\/pglite/m);
  assert.match(run.stdout, /^SKIPPED +agents: no control plane known\n +to check: streamspace login/m);
  assert.match(run.stdout, /No problems found\.\n$/);
});

test('an engine that does not answer: engine and images are problems with their fixes → exit 1', async () => {
  const run = await doctor(['--images', 'xterm'], { DOCKER_HOST: `unix://${join(home, 'no-engine.sock')}` });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /^PROBLEM +container engine: No Docker or podman API answered at DOCKER_HOST=unix:/m);
  assert.match(run.stdout, /fix: sudo scripts\/setup-podman\.sh\n +or: podman system service --time=0/);
  assert.match(run.stdout, /^PROBLEM +images: cannot tell whether streamspace\/xterm:latest/m);
  assert.match(run.stdout, /fix: start the container engine \(above\), then: npx streamspace image build xterm/);
});

test('a port held by another program, and one held by a StreamSpace control plane', async () => {
  // Accepts and never answers; reading lets it see the prober hang up, so close() can finish.
  const holder: Server = createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const held = (holder.address() as { port: number }).port;
  try {
    const run = await doctor(['--images', 'xterm'], { PORT: String(held) });
    assert.equal(run.code, 1);
    assert.match(run.stdout, new RegExp(`^PROBLEM +PORT ${held}: in use by another program`, 'm'));
    assert.match(
      run.stdout,
      new RegExp(`fix: stop that program, or set PORT=<a free port> \\(e\\.g\\. PORT=${held + 1}\\)`),
    );
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
  const cpPort = new URL(cp.url).port;
  const running = await doctor(['--images', 'xterm'], { PORT: cpPort });
  assert.match(running.stdout, new RegExp(`^OK +PORT ${cpPort}: in use by a running StreamSpace control plane`, 'm'));
});

test('an unreachable DATABASE_URL is a problem naming host and port but never the password', async () => {
  const port = await freePort();
  const run = await doctor(['--images', 'xterm'], {
    DATABASE_URL: `postgres://someone:secret-pw@127.0.0.1:${port}/streamspace`,
    JWT_SECRET: 'j'.repeat(32),
    AGENT_TOKEN: 'a'.repeat(24),
  });
  assert.equal(run.code, 1);
  assert.match(
    run.stdout,
    new RegExp(
      `^PROBLEM +database: PostgreSQL at 127\\.0\\.0\\.1:${port}/streamspace did not answer: .*ECONNREFUSED`,
      'm',
    ),
  );
  assert.match(run.stdout, /fix: start PostgreSQL there, or correct DATABASE_URL/);
  assert.doesNotMatch(run.stdout, /secret-pw/);
});

test('a control plane with its agent online → exit 0; gone offline: the agent is a problem with when it was last seen; --json', async () => {
  const env = { STREAMSPACE_URL: cp.url, STREAMSPACE_TOKEN: cp.token! };
  const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'doctor-offline' });
  const healthy = await doctor(['--images', 'xterm'], env);
  assert.equal(healthy.code, 0, healthy.stdout);
  assert.match(healthy.stdout, new RegExp(`^OK +agents: 1 online at ${cp.url}$`, 'm'));

  await agent.close();
  await waitFor('agent offline', async () => {
    const rows = (await cp.api<Array<{ agent_id: string; status: string }>>('GET', '/api/v1/agents')).body;
    return rows.find((a) => a.agent_id === 'doctor-offline' && a.status === 'offline');
  });
  const run = await doctor(['--images', 'xterm'], env);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /^PROBLEM +agents: doctor-offline offline, last seen \d+s ago \(\d{4}-\d\d-\d\dT/m);
  assert.match(run.stdout, /fix: start the agent again where it runs \(npx streamspace agent docker/);

  const json = await doctor(['--images', 'xterm', '--json'], env);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout) as { ok: boolean; checks: Array<{ name: string; status: string }> };
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.checks.map((c) => [c.name.replace(/ \d+$/, ''), c.status]),
    [
      ['container engine', 'ok'],
      ['images', 'ok'],
      ['PORT', 'ok'],
      ['METRICS_PORT', 'ok'],
      ['database', 'ok'],
      ['agents', 'problem'],
    ],
  );
});
