import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { BenchChild } from '../support/bench-child.js';
import { AGENT_TOKEN, controlPlaneEnv } from '../support/control-plane-env.js';
import { loginAsAdmin } from '../support/http.js';
import { logProblems } from '../support/log-summary.js';
import { positive, readOptions } from '../support/options.js';
import { commandLine, fixed, int, machine, print, saveResult, table } from '../support/report.js';
import { load, type LoadResult } from './load.js';
import { startRunnerAgent } from './runner-agent.js';
import { seedRunningSessions } from './seed.js';

// Requests/s of an authenticated control-plane route against bare fastify on the same machine, with
// the same client and settings, in the same run. Figures only: the exit code never depends on them.

const options = readOptions({
  duration: { env: 'BENCH_DURATION_S', default: '10' },
  connections: { env: 'BENCH_CONNECTIONS', default: '10' },
  sessions: { env: 'BENCH_SESSIONS', default: '20' },
  warmup: { env: 'BENCH_WARMUP_S', default: '3' },
});
const seconds = Math.round(positive('duration', options.duration));
const connections = Math.round(positive('connections', options.connections));
const sessions = Math.round(positive('sessions', options.sessions));
const warmupS = Math.round(positive('warmup', options.warmup));
const GOAL_RATIO = 0.5;
const progress = (line: string) => process.stderr.write(`[bench:api] ${line}\n`);

const started = new Date();
const machineLine = machine();
const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-bench-api-'));
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const cpLog = join(dataDir, 'control-plane.log');
const cp = await BenchChild.start(here('../support/control-plane-process.js'), controlPlaneEnv(dataDir), cpLog);
const hello = await BenchChild.start(here('./hello-server.js'), process.env, join(dataDir, 'hello.log'));
const sessionsPath = '/api/v1/sessions';
let baseline: LoadResult;
let measured: LoadResult;
try {
  const token = await loginAsAdmin(cp.url);
  const runner = await startRunnerAgent(`${cp.url.replace(/^http/, 'ws')}/agent/ws`, AGENT_TOKEN);
  await seedRunningSessions(cp.url, token, sessions);
  const auth = { authorization: `Bearer ${token}` };
  progress(
    `control plane pid ${cp.process.pid} (${cp.detail}), fastify pid ${hello.process.pid}; ${sessions} sessions running`,
  );
  // Unmeasured first runs, so both servers are measured with their hot paths compiled.
  await autocannon({ url: `${hello.url}/hello`, connections, duration: warmupS });
  await autocannon({ url: `${cp.url}${sessionsPath}`, connections, duration: warmupS, headers: auth });
  progress(`measuring bare fastify for ${seconds} s`);
  baseline = await load(hello, '/hello', {}, connections, seconds);
  progress(`measuring the control plane for ${seconds} s`);
  measured = await load(cp, sessionsPath, auth, connections, seconds);
  runner.stop();
} finally {
  await Promise.all([cp.stop(), hello.stop()]);
}

const ratio = measured.requestsPerSecond / baseline.requestsPerSecond;
const row = (name: string, route: string, r: LoadResult) => [
  name,
  route,
  int(r.requestsPerSecond),
  fixed(r.latencyP50Ms, 0),
  fixed(r.latencyP99Ms, 0),
  fixed((100 * r.server.cpuSeconds) / r.server.seconds, 0),
  fixed(r.server.lagP99Ms, 1),
  int(r.bodyBytes),
  int(r.failures),
];
const problems = logProblems(cpLog);
const markdown = [
  '### API throughput against bare fastify',
  '',
  table(
    [
      'server',
      'route',
      'req/s',
      'latency p50 (ms)',
      'latency p99 (ms)',
      'server CPU (% of a core)',
      'server loop lag p99 (ms)',
      'body bytes',
      'failed requests',
    ],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    [
      row('bare fastify (baseline)', '`GET /hello`', baseline),
      row('control plane', `\`GET ${sessionsPath}\` as admin, ${sessions} running sessions`, measured),
    ],
  ),
  '',
  `Control plane / bare fastify req/s = **${fixed(ratio, 2)}**; goal ≥ ${GOAL_RATIO}: ${ratio >= GOAL_RATIO ? 'met' : 'NOT met'}.`,
  '',
  `- autocannon ${connections} connections, ${seconds} s per server after a ${warmupS} s unmeasured warm-up each; ` +
    "the client runs in the bench process, each server in its own child process (CPU and loop lag are the server's own); " +
    'autocannon records latency in whole milliseconds (0 means under 1 ms).',
  `- Control plane: \`startControlPlane(loadConfig(env).config)\`, ${cp.detail}, LOG_LEVEL ${process.env.BENCH_LOG_LEVEL ?? 'info'}; ` +
    'the request is authenticated (JWT) and reads the sessions joined with their users and agents.',
  `- Control-plane warnings/errors logged: ${problems.length ? problems.map((p) => `${p.count}× "${p.msg}"`).join(', ') : 'none'}.`,
  `- Machine: ${machineLine}. Run ${started.toISOString()}.`,
  '',
  'Command (from the repository root, after `npx tsc -b bench`):',
  '',
  '```sh',
  commandLine('bench/dist/api/main.js'),
  '```',
].join('\n');
print(markdown);
progress(`saved to ${saveResult('api', markdown)}`);
if (process.env.BENCH_KEEP) progress(`kept ${dataDir}`);
else await rm(dataDir, { recursive: true, force: true });
