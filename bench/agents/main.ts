import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchChild } from '../support/bench-child.js';
import { AGENT_TOKEN, controlPlaneEnv } from '../support/control-plane-env.js';
import { loginAsAdmin } from '../support/http.js';
import { logProblems } from '../support/log-summary.js';
import { positive, positiveList, readOptions } from '../support/options.js';
import { commandLine, fixed, int, machine, print, saveResult } from '../support/report.js';
import { Fleet } from './fleet.js';
import { measureWindow } from './measure.js';
import { checkOnline } from './online.js';
import { agentsTable, goalLine, type Row } from './report.js';

// How many simulated agents one control-plane process holds, and what holding them costs it, against
// the same process idle. Figures only: the exit code never depends on them.

const options = readOptions({
  agents: { env: 'BENCH_AGENTS', default: '1000,5000,10000' },
  window: { env: 'BENCH_WINDOW_S', default: '30' },
  settle: { env: 'BENCH_SETTLE_S', default: '10' },
  concurrency: { env: 'BENCH_REGISTER_CONCURRENCY', default: '50' },
});
const sizes = positiveList('agents', options.agents).sort((a, b) => a - b);
const windowS = positive('window', options.window);
const settleS = positive('settle', options.settle);
const concurrency = Math.round(positive('concurrency', options.concurrency));
const progress = (line: string) => process.stderr.write(`[bench:agents] ${line}\n`);

const started = new Date();
const machineLine = machine();
const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-bench-agents-'));
const logFile = join(dataDir, 'control-plane.log');
const script = fileURLToPath(new URL('../support/control-plane-process.js', import.meta.url));
const cp = await BenchChild.start(script, controlPlaneEnv(dataDir), logFile);
const fleet = new Fleet(`${cp.url.replace(/^http/, 'ws')}/agent/ws`, AGENT_TOKEN);
const rows: Row[] = [];
let baseline;
try {
  const token = await loginAsAdmin(cp.url);
  progress(`control plane pid ${cp.process.pid} at ${cp.url} on ${cp.detail}; log ${logFile}`);
  // Settling before every window lets start-up (or registration) work finish and every agent's
  // heartbeat slot come round once, so the window sees the steady state.
  await sleep(settleS * 1000);
  progress(`idle baseline: ${windowS} s window`);
  baseline = await measureWindow(cp, fleet, windowS);
  for (const size of sizes) {
    const grow = await fleet.grow(size, concurrency);
    progress(
      `${int(fleet.size)} agents held (${grow.registered} registered in ${fixed(grow.seconds)} s, ${grow.failed} failed` +
        `${grow.firstErrors.length ? `: ${grow.firstErrors.join('; ')}` : ''}); settling ${settleS} s, window ${windowS} s`,
    );
    await sleep(settleS * 1000);
    const measurement = await measureWindow(cp, fleet, windowS);
    const online = await checkOnline(cp.url, token);
    progress(
      `${int(online.online)} of ${int(online.listed)} bench agents online (GET /api/v1/agents ${int(online.ms)} ms)`,
    );
    rows.push({ measurement, grow, online });
  }
} finally {
  progress('closing agents and stopping the control plane');
  await fleet.close();
  await cp.stop();
}

const last = rows.at(-1);
const problems = logProblems(logFile);
const notes = [
  goalLine(baseline, rows),
  '',
  `- Control plane: one child process (\`startControlPlane(loadConfig(env).config)\`), ${cp.detail}, ` +
    `AGENT_HEARTBEAT_TIMEOUT default (30 s), LOG_LEVEL ${process.env.BENCH_LOG_LEVEL ?? 'info'}. ` +
    `Each agent heartbeats every ${int(fleet.heartbeatIntervalMs / 1000)} s (the interval \`registered\` gives), ` +
    `spread evenly; agents are added to the same process between windows.`,
  `- Each window is ${windowS} s after a ${settleS} s settle. Loop lag is \`monitorEventLoopDelay\` beyond its 10 ms ` +
    `sampling period; CPU is user+system time over the window; RSS is the peak sampled every 250 ms.`,
  '- Heartbeat DB writes/s: `streamspace_heartbeat_flushes_total` (one batched UPDATE each) read at window start and end. ' +
    'Registration writes (an upsert per agent, its takeover NOTIFY and command claim) happen during the ramp, before each window.',
  last
    ? `- Load generator (this process, ${int(last.measurement.agents)} agents over ${fleet.addressesUsed} loopback ` +
      `source address(es)): loop lag p99 ${fixed(last.measurement.client.lagP99Ms, 2)} ms, CPU ` +
      `${fixed((100 * last.measurement.client.cpuSeconds) / last.measurement.client.seconds, 1)} % of a core. ` +
      `Unexpected closes: ${fleet.unexpectedCloses.size ? JSON.stringify(Object.fromEntries(fleet.unexpectedCloses)) : 'none'}; ` +
      `frames received after registered: ${fleet.framesReceived}.`
    : '- No fleet size was measured.',
  last?.online
    ? `- GET /api/v1/agents (unpaginated) with ${int(last.online.listed)} agents: ${int(last.online.ms)} ms, ` +
      `${fixed(last.online.bytes / 1024 ** 2, 1)} MiB.`
    : '',
  `- Control-plane warnings/errors logged: ${problems.length ? problems.map((p) => `${p.count}× "${p.msg}"`).join(', ') : 'none'}.`,
  `- Machine: ${machineLine}. Run ${started.toISOString()}.`,
].filter((line) => line !== '');

const markdown = [
  '### Agent fleet on one control-plane process',
  '',
  agentsTable(baseline, rows),
  '',
  ...notes,
  '',
  'Command (from the repository root, after `npx tsc -b bench`):',
  '',
  '```sh',
  commandLine('bench/dist/agents/main.js'),
  '```',
].join('\n');
print(markdown);
progress(`saved to ${saveResult('agents', markdown)}`);
if (process.env.BENCH_KEEP) progress(`kept ${dataDir}`);
else await rm(dataDir, { recursive: true, force: true });
