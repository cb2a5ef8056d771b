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
import { positive, positiveList, readOptions } from '../support/options.js';
import type { MemorySample, WindowStats } from '../support/process-window.js';
import { commandLine, fixed, int, machine, print, saveResult, table } from '../support/report.js';
import { openGreeted, pingPong, tcpOpener, timeBulk, wsOpener, type Opener } from './clients.js';

// bench/vnc-path: bytes through the VNC path, side by side in one run: direct loopback TCP,
// websockify (one hop, the baseline), StreamSpace all-in-one (`streamspace up`: the agent in the
// control plane's process, one hop) and distributed (viewer → control plane → agent's tunnel → TCP,
// two hops). Then round trips, and the control plane's memory per idle stream.

const options = readOptions({
  gib: { env: 'BENCH_GIB', default: '1' },
  repeat: { env: 'BENCH_REPEAT', default: '3' },
  rounds: { env: 'BENCH_ROUNDS', default: '2000' },
  streams: { env: 'BENCH_STREAMS', default: '1000,10000' },
});
const bytes = Math.round(positive('gib', options.gib) * 1024 ** 3);
const repeat = Math.round(positive('repeat', options.repeat));
const rounds = Math.round(positive('rounds', options.rounds));
const idleCounts = positiveList('streams', options.streams);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
const median = (values: number[]) => quantile(values, 0.5);
/** How long each relay's CPU at rest is measured before its turn. */
const IDLE_WINDOW_MS = 3000;
/** Viewers opened at once while filling the idle streams. */
const OPEN_CONCURRENCY = 16;
/** Descriptors a control plane keeps for itself besides its streams' (database, listeners, IPC). */
const FD_RESERVE = 64;

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

/** A control plane the bench drives: its API, its sessions, viewers of them. */
class Deployment {
  private constructor(
    readonly name: string,
    readonly cp: BenchChild,
    readonly token: string,
    /** The processes whose CPU is the relay's. */
    readonly relays: BenchChild[],
  ) {}

  static async start(name: string, cp: BenchChild, relays: BenchChild[] = [cp]) {
    const token = await loginAsAdmin(cp.url);
    for (const template of ['bench-source', 'bench-bulk', 'bench-echo', 'bench-idle']) {
      await api(cp.url, 'POST', '/api/v1/templates', token, {
        name: template,
        display_name: template,
        image: 'bench',
        platform: 'docker',
      });
    }
    return new Deployment(name, cp, token, relays);
  }

  async session(template: string): Promise<string> {
    const { id } = await api<{ id: string }>(this.cp.url, 'POST', '/api/v1/sessions', this.token, { template });
    for (;;) {
      const { state } = await api<{ state: string }>(this.cp.url, 'GET', `/api/v1/sessions/${id}`, this.token);
      if (state === 'running') return id;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  viewer(sessionId: string): Opener {
    return wsOpener(
      async () => {
        const { path } = await api<{ path: string }>(
          this.cp.url,
          'POST',
          `/api/v1/sessions/${sessionId}/connect`,
          this.token,
        );
        return `${this.cp.url.replace('http', 'ws')}${path}`;
      },
      { origin: this.cp.url },
    );
  }
}

interface Bulk {
  gibPerSecond: number;
  cpuSecondsPerGib: number;
  /** The control plane's process alone (the first relay). */
  cpSecondsPerGib: number;
  detail?: string;
}

print(`# bench/vnc-path — ${machine()}`);
const dataDirs: string[] = [];
const children: BenchChild[] = [];
const child = async (script: string, env: (dir: string) => NodeJS.ProcessEnv, log: string) => {
  const dir = await mkdtemp(join(tmpdir(), 'streamspace-bench-vnc-'));
  dataDirs.push(dir);
  const started = await BenchChild.start(here(script), env(dir), join(dir, log));
  children.push(started);
  return started;
};
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'warn';
let websockify: { child: ChildProcess; port: number } | undefined;
try {
  const servers = await child(
    './tcp-servers-process.js',
    () => ({ ...process.env, BENCH_BYTES: String(bytes) }),
    'tcp.log',
  );
  const ports = JSON.parse(servers.detail) as Record<string, number>;
  const portsEnv = JSON.stringify(ports);
  const allInOneCp = await child(
    './all-in-one-process.js',
    (dir) => ({ ...controlPlaneEnv(dir), LOG_LEVEL: logLevel, BENCH_PORTS: portsEnv }),
    'cp.log',
  );
  const distributedCp = await child(
    '../support/control-plane-process.js',
    (dir) => ({ ...controlPlaneEnv(dir), LOG_LEVEL: logLevel }),
    'cp.log',
  );
  const agent = await child(
    './agent-process.js',
    (dir) => ({
      ...process.env,
      AGENT_ID: 'bench-vnc-agent',
      CONTROL_PLANE_URL: distributedCp.url,
      AGENT_TOKEN,
      AGENT_CREDENTIAL_FILE: join(dir, 'agent-credential'),
      LOG_LEVEL: logLevel,
      BENCH_PORTS: portsEnv,
    }),
    'agent.log',
  );
  websockify = await startWebsockify(ports['bench-source']!);
  const allInOne = await Deployment.start('all-in-one', allInOneCp);
  const distributed = await Deployment.start('distributed', distributedCp, [distributedCp, agent]);
  step('control planes, agent and websockify up');
  const deployments = [allInOne, distributed];
  const sources = await Promise.all(deployments.map((d) => d.session('bench-source')));
  const echoes = await Promise.all(deployments.map((d) => d.session('bench-echo')));
  step('sessions running');

  // Throughput: the same source, one stream at a time, the paths taking turns `repeat` times; the
  // median rate of each, and its relays' CPU over all its turns.
  const gib = bytes / 1024 ** 3;
  const rates = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  const record = (path: string, seconds: number, cpuSeconds: number[]) => {
    rates.set(path, [...(rates.get(path) ?? []), gib / seconds]);
    const sums = cpu.get(path) ?? cpuSeconds.map(() => 0);
    cpu.set(
      path,
      sums.map((sum, i) => sum + cpuSeconds[i]!),
    );
  };
  for (let turn = 0; turn < repeat; turn++) {
    record('direct', await timeBulk(tcpOpener(ports['bench-source']!), bytes), []);
    if (websockify) {
      // websockify serves each connection in a forked child, whose CPU is counted once it is reaped.
      const pid = websockify.child.pid!;
      const before = cpuOf(pid);
      const seconds = await timeBulk(
        wsOpener(async () => `ws://127.0.0.1:${websockify!.port}`),
        bytes,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000)); // its child exits and is reaped
      record('websockify', seconds, [cpuOf(pid) - before]);
    }
    for (const [i, deployment] of deployments.entries()) {
      // A control plane spends CPU when no byte moves (timers, heartbeats, its database), and
      // websockify does not: that share, measured just before over IDLE_WINDOW_MS, is taken off,
      // or a slow turn on a loaded machine would count it against the relay.
      await Promise.all(deployment.relays.map((r) => r.windowStart()));
      await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
      const idle = await Promise.all(deployment.relays.map((r) => r.windowEnd()));
      let stats: WindowStats[] = [];
      const seconds = await timeBulk(deployment.viewer(sources[i]!), bytes, {
        start: () => Promise.all(deployment.relays.map((r) => r.windowStart())),
        end: async () => (stats = await Promise.all(deployment.relays.map((r) => r.windowEnd()))),
      });
      record(
        deployment.name,
        seconds,
        stats.map((s, k) => Math.max(0, s.cpuSeconds - (idle[k]!.cpuSeconds / idle[k]!.seconds) * s.seconds)),
      );
    }
    step(
      `throughput turn ${turn + 1} of ${repeat}: ` +
        [...rates]
          .map(([path, r]) => {
            const seconds = (cpu.get(path) ?? []).map((c) => fixed(c / (gib * r.length), 2)).join(' + ');
            return `${path} ${fixed(r.at(-1)!, 2)} GiB/s${seconds ? ` (${seconds} CPU s/GiB so far)` : ''}`;
          })
          .join(', '),
    );
  }
  const bulk = (path: string): Bulk | undefined => {
    const r = rates.get(path);
    if (!r) return undefined;
    const seconds = cpu.get(path)!.map((s) => s / (gib * r.length));
    return {
      gibPerSecond: median(r),
      cpuSecondsPerGib: seconds.reduce((a, b) => a + b, 0),
      cpSecondsPerGib: seconds[0] ?? 0,
      ...(seconds.length > 1 ? { detail: `cp ${fixed(seconds[0]!, 2)} + agent ${fixed(seconds[1]!, 2)}` } : {}),
    };
  };
  const direct = bulk('direct')!;
  const viaWebsockify = bulk('websockify');
  const viaAllInOne = bulk('all-in-one')!;
  const viaDistributed = bulk('distributed')!;
  const throughputRow = (name: string, b: Bulk | undefined) =>
    b
      ? [
          name,
          fixed(b.gibPerSecond, 2),
          fixed(b.gibPerSecond / direct.gibPerSecond, 2),
          viaWebsockify ? fixed(b.gibPerSecond / viaWebsockify.gibPerSecond, 2) : '–',
          name.startsWith('direct') ? '–' : `${fixed(b.cpuSecondsPerGib, 2)}${b.detail ? ` (${b.detail})` : ''}`,
        ]
      : [name, 'not installed (apt install websockify)', '–', '–', '–'];

  // Round trips: 64-byte RFB messages to an echo server, idle, then (distributed) beside a
  // neighbour session's bulk stream.
  const echoPort = ports['bench-echo']!;
  const rtt = {
    direct: await pingPong(tcpOpener(echoPort), rounds),
    allInOne: await pingPong(allInOne.viewer(echoes[0]!), rounds),
    distributed: await pingPong(distributed.viewer(echoes[1]!), rounds),
    underLoad: [] as number[],
  };
  const bulkId = await distributed.session('bench-bulk');
  const neighbour = timeBulk(distributed.viewer(bulkId), bytes);
  rtt.underLoad = await pingPong(distributed.viewer(echoes[1]!), rounds);
  await neighbour;
  step('round trips measured');

  // Memory per idle stream: `count` viewers of a session whose server greets them and then idles;
  // the control plane's memory after a full collection, before they open, when half are open and
  // when all are. The second half's figure leaves out what grows once whatever the count (V8's
  // young generation, which a burst of openings enlarges up to its fixed bound).
  interface Idle {
    deployment: string;
    asked: number;
    count: number;
    before: MemorySample;
    half: MemorySample;
    after: MemorySample;
  }
  const idle: Idle[] = [];
  const measureIdle = async (deployment: Deployment, asked: number) => {
    const sessionId = await deployment.session('bench-idle');
    const before = await deployment.cp.memory();
    // Two descriptors a stream (viewer, VNC server or tunnel): a count over the process's limit is cut to fit.
    const count = Math.min(asked, Math.floor((before.fdLimit - before.openFds - FD_RESERVE) / 2));
    const open: { close(): void }[] = [];
    let next = 0;
    const openUpTo = (target: number) =>
      Promise.all(
        Array.from({ length: OPEN_CONCURRENCY }, async () => {
          while (next < target) {
            next++;
            open.push(await openGreeted(deployment.viewer(sessionId)));
          }
        }),
      );
    await openUpTo(Math.floor(count / 2));
    const half = await deployment.cp.memory();
    await openUpTo(count);
    const after = await deployment.cp.memory();
    const sample: Idle = { deployment: deployment.name, asked, count, before, half, after };
    idle.push(sample);
    step(
      `${deployment.name}: ${count} idle streams, ${fixed(perStream(sample, 'rssBytes'), 1)} KiB RSS each ` +
        `(second half ${fixed(secondHalf(sample), 1)}), ${fixed(perStream(sample, 'heapBytes'), 1)} KiB live JS, ` +
        `young generation +${fixed((after.youngBytes - before.youngBytes) / 1024 / 1024, 1)} MiB`,
    );
    for (const stream of open) stream.close();
    // Their close is the control plane's work (database rows, audit): let it finish before the next.
    for (let i = 0; i < 600; i++) {
      if ((await deployment.cp.memory()).openFds <= before.openFds + 8) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  type MemoryKey = 'rssBytes' | 'heapBytes' | 'youngBytes' | 'externalBytes' | 'engineBytes';
  const perStream = (i: Idle, key: MemoryKey) => (i.after[key] - i.before[key]) / 1024 / i.count;
  const secondHalf = (i: Idle) => (i.after.rssBytes - i.half.rssBytes) / 1024 / (i.count - Math.floor(i.count / 2));
  for (const count of idleCounts) await measureIdle(allInOne, count);
  await measureIdle(distributed, idleCounts[0]!);

  const idleRows = idle.map((i) => [
    i.deployment,
    i.count === i.asked
      ? int(i.count)
      : `${int(i.count)} (asked ${int(i.asked)}; descriptor limit ${int(i.before.fdLimit)})`,
    fixed(perStream(i, 'rssBytes'), 1),
    fixed(perStream(i, 'heapBytes'), 1),
    fixed(perStream(i, 'youngBytes'), 1),
    fixed(perStream(i, 'externalBytes'), 1),
    fixed(perStream(i, 'engineBytes'), 1),
    fixed(
      perStream(i, 'rssBytes') -
        perStream(i, 'heapBytes') -
        perStream(i, 'youngBytes') -
        perStream(i, 'externalBytes') -
        perStream(i, 'engineBytes'),
      1,
    ),
    fixed(secondHalf(i), 1),
  ]);
  const row = (name: string, rtts: number[]) => [name, fixed(quantile(rtts, 0.5), 0), fixed(quantile(rtts, 0.99), 0)];

  const markdown = [
    `Throughput, ${fixed(gib, 2)} GiB from a TCP source, one stream, median of ${repeat} turns (\`${commandLine('bench/dist/vnc-path/main.js')}\`):`,
    '',
    table(
      ['path', 'GiB/s', 'vs direct TCP', 'vs websockify', 'relay CPU s/GiB (above its idle)'],
      ['l', 'r', 'r', 'r', 'r'],
      [
        throughputRow('direct loopback TCP', direct),
        throughputRow('websockify (1 hop)', viaWebsockify),
        throughputRow('StreamSpace all-in-one: WS → control plane → TCP (1 hop)', viaAllInOne),
        throughputRow('StreamSpace distributed: WS → control plane → agent → TCP (2 hops)', viaDistributed),
      ],
    ),
    '',
    `64-byte RFB messages to an echo server, ${rounds} round trips:`,
    '',
    table(
      ['path', 'RTT p50 µs', 'RTT p99 µs'],
      ['l', 'r', 'r'],
      [
        row('direct loopback TCP', rtt.direct),
        row('StreamSpace all-in-one, idle', rtt.allInOne),
        row('StreamSpace distributed, idle', rtt.distributed),
        row('StreamSpace distributed, beside a neighbour bulk stream', rtt.underLoad),
      ],
    ),
    '',
    'Control-plane memory per idle open stream, after a full collection (RSS = live JS + V8 young generation + buffers + PGlite + the rest; the last column is the second half of the streams alone):',
    '',
    table(
      [
        'control plane',
        'idle streams',
        'RSS KiB/stream',
        'live JS',
        'V8 young generation',
        'buffers',
        'PGlite engine',
        'rest (native, old-space slack)',
        'RSS KiB/stream, second half',
      ],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      idleRows,
    ),
  ].join('\n');
  print();
  print(markdown);
  print(`\n(saved to ${saveResult('vnc-path', markdown)})`);
  const ratio = (value: number | undefined, digits = 2) => (value === undefined ? 'nan' : fixed(value, digits));
  // The control plane's process, in whichever mode costs it more per GiB.
  const cpCpu = Math.max(viaAllInOne.cpSecondsPerGib, viaDistributed.cpSecondsPerGib);
  print(
    `RESULT all_in_one_vs_websockify=${ratio(viaWebsockify && viaAllInOne.gibPerSecond / viaWebsockify.gibPerSecond)} ` +
      `distributed_vs_websockify=${ratio(viaWebsockify && viaDistributed.gibPerSecond / viaWebsockify.gibPerSecond)} ` +
      `cp_cpu_per_gib_vs_websockify=${ratio(viaWebsockify && cpCpu / viaWebsockify.cpuSecondsPerGib)} ` +
      `idle_kib_per_stream=${fixed(Math.max(...idle.map(secondHalf)), 1)}`,
  );
} finally {
  websockify?.child.kill();
  for (const started of children.reverse()) await started.stop();
  // A child killed after its stop timeout may still be writing its data directory.
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}
