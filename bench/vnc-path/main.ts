import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild } from '../support/bench-child.js';
import { AGENT_TOKEN, controlPlaneEnv } from '../support/control-plane-env.js';
import { api, loginAsAdmin } from '../support/http.js';
import { positive, readOptions } from '../support/options.js';
import { commandLine, fixed, machine, print, saveResult, table } from '../support/report.js';
import { pingPong, tcpOpener, timeBulk, wsOpener, type Opener } from './clients.js';
import { echoServer, portOf, sourceServer } from './tcp-servers.js';

// bench/vnc-path: bytes through the full VNC path (WS client → control plane → agent's data WS →
// TCP) against direct loopback TCP and against websockify (one hop) in the same run.

const options = readOptions({
  gib: { env: 'BENCH_GIB', default: '1' },
  rounds: { env: 'BENCH_ROUNDS', default: '2000' },
  streams: { env: 'BENCH_STREAMS', default: '1000' },
});
const bytes = Math.round(positive('gib', options.gib) * 1024 ** 3);
const rounds = Math.round(positive('rounds', options.rounds));
const streams = Math.round(positive('streams', options.streams));
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;

/** CPU seconds a foreign process (websockify) has used, from /proc. */
const cpuOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime + stime, plus cutime + cstime: websockify serves each connection in a forked child.
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
};

async function startWebsockify(target: number): Promise<{ child: ChildProcess; port: number } | undefined> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn('websockify', [`127.0.0.1:${port}`, `127.0.0.1:${target}`], { stdio: 'ignore' });
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    const poll = () => {
      const probe = connect({ host: '127.0.0.1', port }, () => (probe.destroy(), resolve(true)));
      probe.on('error', () => setTimeout(poll, 50));
    };
    poll();
  });
  return started ? { child, port } : undefined;
}

/** Progress goes to stderr; the figures to stdout. */
const step = (message: string) => process.stderr.write(`vnc-path: ${message}\n`);

print(`# bench/vnc-path — ${machine()}`);
const source = await sourceServer(bytes);
const bulkSource = await sourceServer(bytes * 4); // the HOL-blocking neighbour runs longer than the probe
const echo = await echoServer();
const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-bench-vnc-'));
const cp = await BenchChild.start(
  here('../support/control-plane-process.js'),
  { ...controlPlaneEnv(dataDir), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' },
  join(dataDir, 'cp.log'),
);
const token = await loginAsAdmin(cp.url);
step('control plane up');
for (const name of ['bench-source', 'bench-echo']) {
  await api(cp.url, 'POST', '/api/v1/templates', token, {
    name,
    display_name: name,
    image: 'bench',
    platform: 'docker',
  });
}
const agent = await BenchChild.start(
  here('./agent-process.js'),
  {
    ...process.env,
    AGENT_ID: 'bench-vnc-agent',
    CONTROL_PLANE_URL: cp.url,
    AGENT_TOKEN,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    BENCH_SOURCE_PORT: String(portOf(source)),
    BENCH_ECHO_PORT: String(portOf(echo)),
  },
  join(dataDir, 'agent.log'),
);
const websockify = await startWebsockify(portOf(source));
step('agent up');
try {
  const session = async (template: string) => {
    const { id } = await api<{ id: string }>(cp.url, 'POST', '/api/v1/sessions', token, { template });
    for (;;) {
      if ((await api<{ state: string }>(cp.url, 'GET', `/api/v1/sessions/${id}`, token)).state === 'running') return id;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const viaStreamSpace = (id: string): Opener =>
    wsOpener(
      async () => {
        const { path } = await api<{ path: string }>(cp.url, 'POST', `/api/v1/sessions/${id}/connect`, token);
        return `${cp.url.replace('http', 'ws')}${path}`;
      },
      { origin: cp.url },
    );
  const sourceId = await session('bench-source');
  const echoId = await session('bench-echo');
  step('sessions running');

  // Throughput, same source, one stream each, one after another.
  const throughput: string[][] = [];
  const gib = bytes / 1024 ** 3;
  const directSeconds = await timeBulk(tcpOpener(portOf(source)), bytes);
  step('direct throughput measured');
  throughput.push(['direct loopback TCP', fixed(gib / directSeconds, 2), '1.00', '–']);
  if (websockify) {
    const before = cpuOf(websockify.child.pid!);
    const seconds = await timeBulk(
      wsOpener(async () => `ws://127.0.0.1:${websockify.port}`),
      bytes,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // its child exits and is reaped
    throughput.push([
      'websockify (1 hop)',
      fixed(gib / seconds, 2),
      fixed(directSeconds / seconds, 2),
      fixed((cpuOf(websockify.child.pid!) - before) / gib, 2),
    ]);
  } else {
    throughput.push(['websockify (1 hop)', 'not installed (apt install websockify)', '–', '–']);
  }
  await Promise.all([cp.windowStart(), agent.windowStart()]);
  step('websockify throughput measured');
  const oursSeconds = await timeBulk(viaStreamSpace(sourceId), bytes);
  const [cpStats, agentStats] = await Promise.all([cp.windowEnd(), agent.windowEnd()]);
  throughput.push([
    'StreamSpace: WS → control plane → agent → TCP (2 hops)',
    fixed(gib / oursSeconds, 2),
    fixed(directSeconds / oursSeconds, 2),
    `${fixed((cpStats.cpuSeconds + agentStats.cpuSeconds) / gib, 2)} (cp ${fixed(cpStats.cpuSeconds / gib, 2)} + agent ${fixed(agentStats.cpuSeconds / gib, 2)})`,
  ]);

  step('our throughput measured');
  // Latency: 64-byte ping-pong, idle, then with a bulk stream on a neighbouring session.
  const direct = await pingPong(tcpOpener(portOf(echo)), rounds);
  step('direct latency measured');
  const ours = await pingPong(viaStreamSpace(echoId), rounds);
  step('idle latency measured');
  const bulkId = await session('bench-source');
  step('neighbour session running');
  const neighbour = timeBulk(
    wsOpener(
      async () => {
        const { path } = await api<{ path: string }>(cp.url, 'POST', `/api/v1/sessions/${bulkId}/connect`, token);
        return `${cp.url.replace('http', 'ws')}${path}`;
      },
      { origin: cp.url },
    ),
    bytes,
  );
  const underLoad = await pingPong(viaStreamSpace(echoId), rounds);
  step('latency under load measured');
  await neighbour;
  const row = (name: string, rtts: number[]) => [name, fixed(quantile(rtts, 0.5), 0), fixed(quantile(rtts, 0.99), 0)];
  const addedPerHop = (quantile(ours, 0.99) - quantile(direct, 0.99)) / 2;

  step('latency measured');
  // Memory per idle stream: open `streams` viewers to the echo session and compare the control
  // plane's RSS before and after.
  await cp.windowStart();
  const before = await cp.windowEnd();
  const open = [];
  for (let i = 0; i < streams; i++) open.push(await viaStreamSpace(echoId)());
  await new Promise((resolve) => setTimeout(resolve, 2000)); // let the agents' tunnels all join
  await cp.windowStart();
  const afterOpen = await cp.windowEnd();
  for (const s of open) s.close();
  const perStreamKiB = ((afterOpen.rssEndMiB - before.rssEndMiB) * 1024) / streams;

  const markdown = [
    `Throughput, ${fixed(gib, 2)} GiB from a TCP source, one stream (\`${commandLine('bench/dist/vnc-path/main.js')}\`):`,
    '',
    table(['path', 'GiB/s', 'vs direct TCP', 'relay CPU s/GiB'], ['l', 'r', 'r', 'r'], throughput),
    '',
    `64-byte ping-pong, ${rounds} rounds:`,
    '',
    table(
      ['path', 'RTT p50 µs', 'RTT p99 µs'],
      ['l', 'r', 'r'],
      [
        row('direct loopback TCP', direct),
        row('StreamSpace, idle', ours),
        row('StreamSpace, while a neighbour stream carries bulk data', underLoad),
      ],
    ),
    '',
    `Added per hop at p99, idle: ${fixed(addedPerHop, 0)} µs (goal ≤ 200). Control-plane memory per idle open stream at ${streams} streams: ${fixed(perStreamKiB, 1)} KiB (goal ≤ 20 KB; RSS delta, no forced GC).`,
  ].join('\n');
  print();
  print(markdown);
  print(`\n(saved to ${saveResult('vnc-path', markdown)})`);
} finally {
  websockify?.child.kill();
  await agent.stop();
  await cp.stop();
  for (const server of [source, bulkSource, echo]) server.close();
  await rm(dataDir, { recursive: true, force: true });
}
