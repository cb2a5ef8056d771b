import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import WebSocket, { createWebSocketStream } from 'ws';
import { spawnCollect } from '../support/postgres-server.js';
import {
  AGENT_IMAGE,
  CONTROL_PLANE_IMAGE,
  XTERM_IMAGE,
  removeAgentResources,
  requireContainerEngine,
  sessionContainers,
} from '../support/podman.js';
import { rfbFirstUpdate } from '../support/rfb-client.js';
import { waitFor } from '../support/wait-for.js';

// The control-plane and agent images run for real on podman, as the Helm chart and the compose
// file run them: `server` and `agent docker`, as user 10001, configured only by environment; a real
// xterm session then streams through both containers (the agent, on podman's default network,
// reaches the session's VNC port on the session network).
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const ADMIN_PASSWORD = 'admin-password-for-image-tests';
const AGENT_TOKEN = `agent-token-${randomBytes(8).toString('hex')}`;
const JWT_SECRET = randomBytes(24).toString('hex');
const IMAGE_USER = '10001';
// The group the engine socket is shared with, as Docker's socket is with the `docker` group.
const SOCKET_GROUP = 10002;

const suffix = randomBytes(4).toString('hex');
const cpName = `streamspace-test-cp-${suffix}`;
const agentName = `streamspace-test-agent-${suffix}`;
const agentId = `image-test-agent-${suffix}`;

async function podman(...args: string[]): Promise<string> {
  const result = await spawnCollect('podman', args, process.env);
  if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Sends SIGTERM to the container's PID 1 and resolves with its exit code and how long it took. */
async function terminate(name: string): Promise<{ code: number; ms: number }> {
  assert.equal(await podman('inspect', '--format', '{{.State.Running}}', name), 'true', `${name} is running`);
  const started = Date.now();
  await podman('kill', '--signal', 'TERM', name);
  // `podman wait` answers once the container has exited (at once if it already has), with its code.
  const waiting = spawnCollect('podman', ['wait', name], process.env);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    waiting,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} did not exit within 10 s of SIGTERM`)), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.equal(result.code, 0, result.stderr);
  return { code: Number(result.stdout.trim()), ms: Date.now() - started };
}

let docker: Docker | undefined;
let baseUrl = '';
let cpAddress = '';
let token = '';
let socketDir = '';
let service: ChildProcess | undefined;

before(async () => {
  docker = await requireContainerEngine([CONTROL_PLANE_IMAGE, AGENT_IMAGE, XTERM_IMAGE]);
  await podman(
    'run',
    '--detach',
    '--name',
    cpName,
    '--publish',
    '127.0.0.1::8080',
    '--env',
    `ADMIN_PASSWORD=${ADMIN_PASSWORD}`,
    '--env',
    `AGENT_TOKEN=${AGENT_TOKEN}`,
    '--env',
    `JWT_SECRET=${JWT_SECRET}`,
    '--env',
    'LOG_LEVEL=warn',
    CONTROL_PLANE_IMAGE,
  );
  baseUrl = `http://${(await podman('port', cpName, '8080/tcp')).split('\n')[0]}`;
  cpAddress = await podman('inspect', '--format', '{{.NetworkSettings.IPAddress}}', cpName);
});

after(async () => {
  await podman('rm', '--force', '--ignore', cpName, agentName).catch(() => undefined);
  if (docker) await removeAgentResources(docker, agentId);
  if (service && service.exitCode === null) {
    const exited = new Promise((resolve) => service!.once('exit', resolve));
    service.kill('SIGTERM');
    await exited;
  }
  if (socketDir) await rm(socketDir, { recursive: true, force: true });
});

test('the control-plane image answers /health and /ready and serves the web UI, as a non-root user', async () => {
  // The first start initialises the embedded database in STREAMSPACE_DATA_DIR (initdb takes seconds).
  const health = await waitFor(
    '/health of the control-plane container',
    async () => {
      const response = await fetch(`${baseUrl}/health`);
      return response.status === 200 ? response : undefined;
    },
    60_000,
  );
  assert.deepEqual(await health.json(), { status: 'healthy' });

  const ready = await waitFor('/ready of the control-plane container', async () => {
    const response = await fetch(`${baseUrl}/ready`);
    return response.status === 200 ? response : undefined;
  });
  assert.deepEqual(await ready.json(), { status: 'ready', database: 'pglite' });

  const page = await fetch(`${baseUrl}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const html = await page.text();
  assert.match(html, /<title>StreamSpace<\/title>/);
  const script = /<script type="module"[^>]* src="(\/assets\/[^"]+\.js)"/.exec(html);
  assert.ok(script, 'the page loads the built UI bundle');
  assert.equal((await fetch(`${baseUrl}${script[1]}`)).status, 200, 'the bundle is in the image');

  // Every process in the container, PID 1 (tini) and node included, runs as the image's user.
  const owners = await podman(
    'exec',
    cpName,
    'sh',
    '-c',
    'id -u; for p in /proc/[0-9]*; do stat -c %u "$p"; done; true',
  );
  assert.deepEqual([...new Set(owners.split('\n'))], [IMAGE_USER]);
  const dataDir = await podman('exec', cpName, 'sh', '-c', 'stat -c "%u %n" "$STREAMSPACE_DATA_DIR"/pglite');
  assert.equal(dataDir, `${IMAGE_USER} /var/lib/streamspace/pglite`, 'the embedded database lives in the data dir');
  const tags = await podman(
    'image',
    'inspect',
    '--format',
    '{{.Id}}',
    CONTROL_PLANE_IMAGE,
    `streamspace/control-plane:${VERSION}`,
  );
  assert.equal(new Set(tags.split('\n')).size, 1, `:latest and :${VERSION} are the same image`);
});

test('the agent image, run as `agent docker` on the engine socket, comes online at the control-plane container', async () => {
  // The agent runs as uid 10001, so it gets a podman API socket shared with a group, as Docker's
  // is with the docker group, and joins that group (`--group-add`), as a compose file would.
  socketDir = await mkdtemp(join(tmpdir(), 'streamspace-image-socket-'));
  const socket = join(socketDir, 'podman.sock');
  service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { stdio: 'ignore' });
  await waitFor('the private podman API socket', () => existsSync(socket));
  await chown(socket, 0, SOCKET_GROUP);
  await chmod(socket, 0o660);

  await podman(
    'run',
    '--detach',
    '--name',
    agentName,
    '--group-add',
    String(SOCKET_GROUP),
    '--volume',
    `${socket}:/var/run/docker.sock`,
    '--env',
    'DOCKER_HOST=unix:///var/run/docker.sock',
    '--env',
    `AGENT_ID=${agentId}`,
    '--env',
    `CONTROL_PLANE_URL=ws://${cpAddress}:8080`,
    '--env',
    `AGENT_TOKEN=${AGENT_TOKEN}`,
    AGENT_IMAGE,
    'agent',
    'docker',
  );
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  assert.equal(login.status, 200);
  ({ token } = (await login.json()) as { token: string });
  const agent = await waitFor(
    `agent ${agentId} online`,
    async () => {
      const response = await fetch(`${baseUrl}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } });
      const agents = (await response.json()) as {
        agent_id: string;
        status: string;
        platform: string;
        version: string;
      }[];
      return agents.find((a) => a.agent_id === agentId && a.status === 'online');
    },
    60_000,
  );
  assert.equal(agent.platform, 'docker');
  assert.equal(agent.version, VERSION);
  const owners = await podman('exec', agentName, 'sh', '-c', 'for p in /proc/[0-9]*; do stat -c %u "$p"; done; true');
  assert.deepEqual([...new Set(owners.split('\n'))], [IMAGE_USER]);
});

test('a session started through the control-plane container runs on the agent container and streams VNC through both', async () => {
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const created = await api('POST', '/api/v1/sessions', { template: 'xterm', state: 'running' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const sessionId = created.body.id as string;
  const running = await waitFor(
    `session ${sessionId} running`,
    async () => {
      const { body } = await api('GET', `/api/v1/sessions/${sessionId}`);
      if (body.state === 'failed') throw new Error(`session failed: ${body.state_reason}`);
      return body.state === 'running' ? body : undefined;
    },
    90_000,
  );
  assert.equal(running.agent_id, agentId);

  // Viewer WebSocket → control-plane container → the agent container's data WebSocket → Xvnc.
  const connect = await api('POST', `/api/v1/sessions/${sessionId}/connect`, {});
  assert.equal(connect.status, 200, JSON.stringify(connect.body));
  const viewer = new WebSocket(`${baseUrl.replace('http', 'ws')}${connect.body.path}`, ['binary'], {
    headers: { origin: baseUrl },
  });
  const update = await rfbFirstUpdate(createWebSocketStream(viewer));
  assert.equal(update.banner, 'RFB 003.008\n');
  assert.deepEqual([update.width, update.height], [1280, 800]);
  viewer.close();

  assert.equal((await api('DELETE', `/api/v1/sessions/${sessionId}`)).status, 200);
  await waitFor(
    'the session container removed',
    async () => (await sessionContainers(docker!, sessionId)).length === 0,
    30_000,
  );
});

test('SIGTERM stops the agent and the control-plane containers at once, with exit code 0', async () => {
  for (const name of [agentName, cpName]) {
    const { code, ms } = await terminate(name);
    assert.equal(code, 0, `${name} exits 0 on SIGTERM`);
    // Well under podman's 10 s grace: PID 1 forwards the signal and node's handler stops cleanly.
    assert.ok(ms < 5000, `${name} took ${ms} ms to stop`);
  }
});
