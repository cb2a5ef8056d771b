import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator } from '../support/agent-simulator.js';
import { STREAMSPACE } from '../support/streamspace-command.js';
import { waitFor } from '../support/wait-for.js';
import { generate } from 'otplib';

// The CLI against a running control plane, as a person who scripts uses it: `streamspace login`,
// then commands reading the stored login (or STREAMSPACE_URL / STREAMSPACE_TOKEN).

let fresh: FreshDatabase;
let cp: TestControlPlane;
let config: string;

before(async () => {
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  config = await mkdtemp(join(tmpdir(), 'streamspace-cli-config-'));
});
after(async () => {
  await cp.stop();
  await fresh.close();
  await rm(config, { recursive: true, force: true });
});

/** Runs `streamspace …` with only a user's shell environment and XDG_CONFIG_HOME in the temp dir. */
function streamspace(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  const { PATH, HOME, LANG } = process.env;
  const env = { PATH, HOME, LANG, XDG_CONFIG_HOME: config, ...options.env };
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [STREAMSPACE, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

const ok = async (args: string[], options?: Parameters<typeof streamspace>[1]) => {
  const run = await streamspace(args, options);
  assert.equal(run.code, 0, `streamspace ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
};
const json = async <T = any>(args: string[], options?: Parameters<typeof streamspace>[1]): Promise<T> =>
  JSON.parse(await ok([...args, '--json'], options)) as T;
const configFile = () => join(config, 'streamspace', 'config.json');

test('login stores the URL and token readable by the owner only; a wrong password exits 1 with the message', async () => {
  const wrong = await streamspace(['login', '--url', cp.url], { stdin: 'admin\nnot-the-password\n' });
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.stderr,
    /streamspace login: Invalid username or password \(401 from POST \/api\/v1\/auth\/login\)/,
  );

  const out = await ok(['login', '--url', cp.url], { stdin: `admin\n${ADMIN_PASSWORD}\n` });
  assert.match(out, new RegExp(`Logged in to ${cp.url} as admin \\(admin\\); saved in ${configFile()}`));
  assert.equal((await stat(configFile())).mode & 0o777, 0o600);
  assert.equal((await stat(join(config, 'streamspace'))).mode & 0o777, 0o700);
  const stored = JSON.parse(await readFile(configFile(), 'utf8'));
  assert.equal(stored.url, cp.url);
  assert.equal((await cp.api('GET', '/api/v1/users/me', { token: stored.token })).body.username, 'admin');
});

test('templates, users and sessions: tables by default, JSON with --json', async () => {
  const templates = await ok(['templates', 'list']);
  assert.match(templates, /^NAME\s+DISPLAY NAME\s+PLATFORM\s+DESCRIPTION\n/);
  assert.match(templates, /^xterm\s/m);
  assert.ok((await json<Array<{ name: string }>>(['templates', 'list'])).some((t) => t.name === 'xterm'));

  assert.match(await ok(['users', 'list']), /^USERNAME\s+ROLE\s+STATUS.*\nadmin\s+admin\s+active/);
  assert.deepEqual(
    (await json<Array<{ username: string }>>(['users', 'list'])).map((u) => u.username),
    ['admin'],
  );

  // No agent: the session waits pending, which is enough to list and stop it.
  const created = await json<Array<{ id: string; state: string; template: string }>>(['sessions', 'create', 'xterm']);
  assert.equal(created[0]?.state, 'pending');
  const id = created[0]!.id;
  assert.match(
    await ok(['sessions', 'list']),
    new RegExp(`^ID\\s+TEMPLATE\\s+STATE[^\\n]*\\n${id}\\s+xterm\\s+pending`),
  );
  assert.ok((await json<Array<{ id: string }>>(['sessions', 'list'])).some((s) => s.id === id));
  assert.match(await ok(['sessions', 'stop', id]), new RegExp(`${id}\\s+xterm\\s+stopped`));

  const refused = await streamspace(['sessions', 'resume', id]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^streamspace sessions: .*stopped.* \(409 from PATCH \/api\/v1\/sessions\//);
  assert.match(await ok(['sessions', 'delete', id]), /deleted/);
  const missing = await streamspace(['sessions', 'create', 'no-such-template']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no-such-template/);
  const usage = await streamspace(['sessions', 'stop']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /stop: name the session id/);
});

test('hibernate and resume a running session; agents list shows the agent (agent list too)', async () => {
  const { agent } = await AgentSimulator.register(cp.wsUrl, AGENT_TOKEN, { agent_id: 'cli-agent' });
  try {
    const [session] = await json<Array<{ id: string }>>(['sessions', 'create', 'xterm']);
    const id = session!.id;
    const finish = async (type: string, state: 'running' | 'hibernated') => {
      const command = await agent.next('command', (m) => m.payload.session_id === id && m.payload.type === type);
      agent.send('command_ack', { command_id: command.payload.command_id });
      agent.reportStatus(id, state);
      agent.send('command_result', { command_id: command.payload.command_id, ok: true });
      await waitFor(state, async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === state);
    };
    await finish('start_session', 'running');
    assert.equal((await json<Array<{ state: string }>>(['sessions', 'hibernate', id]))[0]?.state, 'hibernating');
    await finish('hibernate_session', 'hibernated');
    assert.equal((await json<Array<{ state: string }>>(['sessions', 'resume', id]))[0]?.state, 'starting');
    await finish('resume_session', 'running');

    assert.match(await ok(['agents', 'list']), /^AGENT_ID\s+PLATFORM\s+STATUS[^\n]*\ncli-agent\s+docker\s+online/);
    assert.deepEqual(
      (await json<Array<{ agent_id: string }>>(['agents', 'list'])).map((a) => a.agent_id),
      ['cli-agent'],
    );
    assert.match(await ok(['agent', 'list']), /^cli-agent\s+docker\s+online/m);
  } finally {
    await agent.close();
  }
});

test('STREAMSPACE_URL and STREAMSPACE_TOKEN override the stored login; login --token stores an API token; logout', async () => {
  const userLogin = await cp.createUser('scripter');
  const created = await cp.api('POST', '/api/v1/users/me/tokens', { token: userLogin, body: { name: 'cli' } });
  const apiToken = created.body.token as string;

  // The environment's token wins over the stored admin login: users list is refused for a user.
  const asUser = await streamspace(['users', 'list'], { env: { STREAMSPACE_TOKEN: apiToken } });
  assert.equal(asUser.code, 1);
  assert.match(asUser.stderr, /This action needs the admin role \(403 from GET \/api\/v1\/users\)/);
  const bad = await streamspace(['sessions', 'list'], { env: { STREAMSPACE_TOKEN: 'ssp_nonsense' } });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /API token not recognised.*\n.*STREAMSPACE_TOKEN was refused/);
  // Another URL does not get the stored token.
  const elsewhere = await streamspace(['sessions', 'list'], {
    env: { STREAMSPACE_URL: cp.url.replace('127.0.0.1', 'localhost') },
  });
  assert.equal(elsewhere.code, 1);
  assert.match(
    elsewhere.stderr,
    /not logged in to http:\/\/localhost:\d+: run streamspace login, or set STREAMSPACE_TOKEN/,
  );
  const unreachable = await streamspace(['sessions', 'list'], {
    env: { STREAMSPACE_URL: 'http://127.0.0.1:1', STREAMSPACE_TOKEN: 'ssp_x' },
  });
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /cannot reach the control plane at http:\/\/127.0.0.1:1/);

  assert.match(await ok(['login', '--url', cp.url, '--token', apiToken]), /as scripter \(user\)/);
  assert.equal(JSON.parse(await readFile(configFile(), 'utf8')).token, apiToken);
  assert.deepEqual(await json(['sessions', 'list']), []);
  const badToken = await streamspace(['login', '--url', cp.url, '--token', 'ssp_nonsense']);
  assert.equal(badToken.code, 1);
  assert.equal(JSON.parse(await readFile(configFile(), 'utf8')).token, apiToken, 'a refused token is not stored');

  assert.match(await ok(['logout']), /Removed the login stored in/);
  await assert.rejects(stat(configFile()));
  const loggedOut = await streamspace(['sessions', 'list']);
  assert.equal(loggedOut.code, 1);
  assert.match(loggedOut.stderr, /not logged in/);
});

test('login with two-factor on: the password, then a code; a wrong code exits 1 with the message', async () => {
  const token = await cp.createUser('otto');
  const { secret } = (await cp.api('POST', '/api/v1/users/me/mfa/totp', { token })).body as { secret: string };
  const now = Math.floor(Date.now() / 1000);
  const confirmed = await cp.api('POST', '/api/v1/users/me/mfa/totp/confirm', {
    token,
    body: { code: await generate({ secret, epoch: now }) },
  });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  const env = { XDG_CONFIG_HOME: await mkdtemp(join(tmpdir(), 'streamspace-cli-mfa-')) };
  try {
    const wrong = await streamspace(['login', '--url', cp.url], { stdin: 'otto\notto-password\n000000\n', env });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /streamspace login: .*\(401 from POST \/api\/v1\/auth\/mfa\)/);
    // The confirming code's time step is used up: the next step's code, which the server accepts now.
    const code = await generate({ secret, epoch: now + 30 });
    const out = await ok(['login', '--url', cp.url], { stdin: `otto\notto-password\n${code}\n`, env });
    assert.match(out, /Logged in to .* as otto \(user\)/);
  } finally {
    await rm(env.XDG_CONFIG_HOME, { recursive: true, force: true });
  }
});
