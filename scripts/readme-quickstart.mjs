#!/usr/bin/env node
// A newcomer's first ten minutes, run as the README writes them: the "Run it" block
// (`npm ci && npm start`) in a clean checkout, then its "Try it" block with bash, then the session
// it created must reach `running` on the local container engine. CI runs this after `npm test`.
//   node scripts/readme-quickstart.mjs           in this checkout (must be clean: no ./data yet)
//   node scripts/readme-quickstart.mjs --clone   in a fresh `git clone` of HEAD in a temp dir
// Only the port differs from the README: 8080 may be taken, so PORT and METRICS_PORT are free ones
// and the Try-it block's `localhost:8080` is rewritten to match.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const say = (line) => process.stdout.write(`${line}\n`);
const repo = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 15 * 60_000; // npm ci and a full build on a slow machine
const RUNNING_TIMEOUT_MS = 10 * 60_000; // the first session may build its image on demand

function fail(message) {
  process.stderr.write(`readme-quickstart: FAILED: ${message}\n`);
  process.exitCode = 1;
  throw new Error(message);
}

/** The ```sh blocks of the README's "## Run it" section, in order. */
function runItBlocks(readme) {
  const section = /^## Run it\n([\s\S]*?)^## /m.exec(readme)?.[1];
  if (!section) fail('README.md has no "## Run it" section');
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
}

/** The JSON values printed one after another (curl adds no newline between two responses). */
function jsonValues(text) {
  const values = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth++ === 0) start = i;
    } else if ((c === '}' || c === ']') && --depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
  }
  return values;
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

const deadline = (ms, what) => {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
};

async function main() {
  const clone = process.argv.includes('--clone');
  const dir = clone ? join(mkdtempSync(join(tmpdir(), 'streamspace-quickstart-')), 'streamspace') : repo;
  if (clone) execFileSync('git', ['clone', '--quiet', repo, dir], { stdio: 'inherit' });
  else if (existsSync(join(dir, 'data')))
    fail(`${join(dir, 'data')} exists, so this is not a first run; use --clone, or move it away`);

  const [run, tryIt] = runItBlocks(readFileSync(join(dir, 'README.md'), 'utf8'));
  if (!run || !/npm (ci|install)/.test(run)) fail(`the first "Run it" block is not an install-and-start: ${run}`);
  if (!tryIt || !tryIt.includes('curl')) fail('the second "Run it" block is not the curl walk-through');
  const [port, metricsPort] = [await freePort(), await freePort()];
  // What a user's shell has, plus the engine socket this machine's podman answers on.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG ?? 'C.UTF-8' };
  if (process.env.DOCKER_HOST) env.DOCKER_HOST = process.env.DOCKER_HOST;
  Object.assign(env, { PORT: String(port), METRICS_PORT: String(metricsPort) });

  say(`readme-quickstart: in ${dir}\n$ ${run}`);
  const started = Date.now();
  // Its own process group, so stopping it stops npm and the server npm started.
  const server = spawn('bash', ['-c', run], { cwd: dir, env, detached: true });
  let output = '';
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const banner = new Promise((resolve, reject) => {
      const onData = (data) => {
        output += data.toString();
        if (/UI and API:\s+http:\/\/localhost:\d+/.test(output)) resolve();
      };
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      void exited.then(({ code }) => reject(new Error(`"${run}" exited with ${code} before it was up:\n${output}`)));
    });
    const startLimit = deadline(START_TIMEOUT_MS, `"${run}" did not print its "UI and API" banner`);
    await Promise.race([banner, startLimit.promise]).finally(startLimit.cancel);
    say(`readme-quickstart: up after ${((Date.now() - started) / 1000).toFixed(0)} s`);

    const script = tryIt.replaceAll('localhost:8080', `localhost:${port}`);
    say(`$ ${script.replaceAll('\n', '\n$ ')}`);
    // -e and pipefail: a step that fails stops the walk-through here rather than two lines later.
    const out = execFileSync('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: dir, env, encoding: 'utf8' });
    const [templates, session] = jsonValues(out);
    if (!Array.isArray(templates) || !templates.some((t) => t.name === 'xterm'))
      fail(`GET /api/v1/templates did not list xterm: ${out}`);
    if (!['pending', 'starting', 'running'].includes(session?.state)) fail(`POST /api/v1/sessions answered ${out}`);
    say(`readme-quickstart: the catalog lists ${templates.length} apps; session ${session.id} is ${session.state}`);

    const base = `http://localhost:${port}/api/v1`;
    const password = readFileSync(join(dir, 'data', 'admin-password'), 'utf8').trim();
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const { token } = await login.json();
    const headers = { authorization: `Bearer ${token}` };
    const runningLimit = Date.now() + RUNNING_TIMEOUT_MS;
    let last = session;
    // The session's own event stream would do too; a 1 s look is plenty for a one-off check.
    while (last.state !== 'running') {
      if (last.state === 'failed' || last.state === 'stopped')
        fail(`the session ended ${last.state}: ${last.state_reason}`);
      if (Date.now() > runningLimit)
        fail(`the session was still ${last.state} after ${RUNNING_TIMEOUT_MS / 1000} s: ${JSON.stringify(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      last = await (await fetch(`${base}/sessions/${session.id}`, { headers })).json();
    }
    say(`readme-quickstart: session running ${((Date.now() - started) / 1000).toFixed(0)} s after "${run}"`);

    const deleted = await fetch(`${base}/sessions/${session.id}`, { method: 'DELETE', headers });
    if (!deleted.ok) fail(`DELETE of the session answered ${deleted.status}`);
    const gone = async () => {
      const response = await fetch(`${base}/sessions/${session.id}`, { headers });
      return response.status === 404 || (await response.json()).state === 'deleted';
    };
    while (!(await gone())) {
      if (Date.now() > runningLimit) fail('the session was not deleted');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    process.kill(-server.pid, 'SIGTERM');
    const { code, signal } = await exited;
    if (process.exitCode !== 1 && code !== 0 && signal !== 'SIGTERM')
      fail(`"${run}" did not stop cleanly on SIGTERM (code ${code}, signal ${signal}):\n${output.slice(-2000)}`);
    if (clone) rmSync(join(dir, '..'), { recursive: true, force: true });
  }
  say('readme-quickstart: OK');
}

main().catch((error) => {
  if (process.exitCode !== 1) process.stderr.write(`readme-quickstart: FAILED: ${error.message}\n`);
  process.exitCode = 1;
});
