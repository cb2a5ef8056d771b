import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnCollect } from '../support/postgres-server.js';
import { waitFor } from '../support/wait-for.js';
import { STREAMSPACE } from '../support/streamspace-command.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

const cleanEnv = () => {
  // Only what a user's shell would have: no test secrets leaking in from the runner.
  const { PATH, HOME, LANG } = process.env;
  return { PATH, HOME, LANG } as NodeJS.ProcessEnv;
};

/** Starts `streamspace up` and resolves with its URL once the banner is printed. */
function startUp(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STREAMSPACE, 'up'], { env });
    let output = '';
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /UI and API:\s+(http:\/\/localhost:\d+)/.exec(output);
      if (match) resolve({ child, url: match[1]!, output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`streamspace up exited with ${code}: ${output}`)));
  });
}

const stopped = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('streamspace up: embedded database, generated admin password, data kept across restarts', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-up-'));
  dirs.push(dataDir);
  const env = { ...cleanEnv(), STREAMSPACE_DATA_DIR: dataDir, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1' };

  let run = await startUp(env);
  assert.match(run.output(), /Admin login:\s+admin \/ the password in .*admin-password/);
  assert.match(run.output(), /Database:\s+embedded PGlite/);
  // The in-process agent builds missing catalog images (IMAGE_BUILD_ON_DEMAND defaults to true here).
  // Its start-up lines come in any order once it has found the engine.
  await waitFor('the agent on the engine', () => run.output().includes('Using '));
  await waitFor('the agent to say it builds missing images', () =>
    /IMAGE_BUILD_ON_DEMAND: a missing bundled session image is built on this engine/.test(run.output()),
  );
  const health = await fetch(`${run.url}/health`);
  assert.deepEqual(await health.json(), { status: 'healthy' });
  const password = (await readFile(join(dataDir, 'admin-password'), 'utf8')).trim();
  assert.ok(!run.output().includes(password), 'the password is not printed or logged');
  const jwtFile = await stat(join(dataDir, 'jwt-secret'));
  assert.equal(jwtFile.mode & 0o777, 0o600);

  const login = async () => {
    const response = await fetch(`${run.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { token: string }).token;
  };
  const token = await login();
  const created = await fetch(`${run.url}/api/v1/templates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: 'kept-app', display_name: 'Kept', image: 'streamspace/xterm:latest' }),
  });
  assert.equal(created.status, 201);
  assert.equal(await stopped(run.child), 0, 'SIGTERM is a clean shutdown');

  run = await startUp(env);
  assert.match(run.output(), /Admin login:\s+admin \(password unchanged/);
  const again = await login();
  // The JWT secret was kept, so a token from before the restart still works.
  const kept = await fetch(`${run.url}/api/v1/templates/kept-app`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(kept.status, 200);
  assert.ok(again);
  assert.equal(await stopped(run.child), 0);
});

test('streamspace up without a container engine keeps the control plane up and says how to start podman', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-up-'));
  dirs.push(dataDir);
  const run = await startUp({
    ...cleanEnv(),
    STREAMSPACE_DATA_DIR: dataDir,
    PORT: '0',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    DOCKER_HOST: 'unix:///nonexistent/docker.sock',
  });
  await waitFor('the agent explains', () => run.output().includes('No sessions can start yet'));
  assert.match(run.output(), /No Docker or podman API answered at DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock/);
  assert.match(
    run.output(),
    /Start podman's with: podman system service --time=0 unix:\/\/\/run\/streamspace-podman\.sock/,
  );
  assert.deepEqual(await (await fetch(`${run.url}/health`)).json(), { status: 'healthy' });
  assert.equal(await stopped(run.child), 0);
});

test('bad configuration fails at start with one line per variable', async () => {
  const result = await spawnCollect(process.execPath, [STREAMSPACE, 'server'], {
    ...cleanEnv(),
    PORT: 'http',
    DB_HOST: 'db.example',
    AGENT_HEARTBEAT_TIMEOUT: '30',
  });
  assert.equal(result.code, 1);
  assert.deepEqual(result.stderr.trim().split('\n'), [
    'PORT: expected a whole number from 0 to 65535, got "http"',
    'AGENT_HEARTBEAT_TIMEOUT: expected a duration like 30s, 5m or 1h, got "30"',
    'streamspace: configuration invalid; see the configuration table in README.md',
  ]);
  const missing = await spawnCollect(process.execPath, [STREAMSPACE, 'server'], {
    ...cleanEnv(),
    DATABASE_URL: 'postgres://u@127.0.0.1:1/x',
  });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^JWT_SECRET: required with PostgreSQL/m);
  assert.match(missing.stderr, /^AGENT_TOKEN: required with PostgreSQL/m);
});

test('an unreachable PostgreSQL fails the start with a message naming the problem', async () => {
  const result = await spawnCollect(process.execPath, [STREAMSPACE, 'server'], {
    ...cleanEnv(),
    DATABASE_URL: 'postgres://u@127.0.0.1:1/x',
    JWT_SECRET: 'j'.repeat(32),
    AGENT_TOKEN: 'a'.repeat(16),
  });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /streamspace: could not start: .*ECONNREFUSED 127\.0\.0\.1:1/);
});

test('help and unknown commands', async () => {
  const help = await spawnCollect(process.execPath, [STREAMSPACE, 'help'], cleanEnv());
  assert.equal(help.code, 0);
  assert.match(help.stdout, /up\s+all-in-one/);
  // As the README types it, from the clone: npm's link to the command, found by npx.
  const npx = await spawnCollect('npx', ['--no', 'streamspace', 'help'], cleanEnv(), { cwd: REPO });
  assert.equal(npx.code, 0, npx.stderr);
  assert.equal(npx.stdout, help.stdout);
  const unknown = await spawnCollect(process.execPath, [STREAMSPACE, 'launch'], cleanEnv());
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "launch"/);
});
