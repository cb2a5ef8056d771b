import { commandLine, fixed, machine, print, saveResult, table } from '../support/report.js';
import { positive, readOptions } from '../support/options.js';
import { timeDirectPodman } from './direct-podman.js';
import { StreamSpace } from './via-streamspace.js';

// bench/session-start: time from POST /api/v1/sessions to the first RFB FramebufferUpdate through
// the agent, against `podman run` of the same image to its first FramebufferUpdate, same run, same
// machine; and sessions started per minute at concurrency 1 and 5. Prints figures, never fails on them.

const options = readOptions({
  sessions: { env: 'BENCH_SESSIONS', default: '10' },
  image: { env: 'BENCH_IMAGE', default: 'streamspace/xterm:latest' },
  template: { env: 'BENCH_TEMPLATE', default: 'xterm' },
  'docker-host': { env: 'DOCKER_HOST', default: 'unix:///run/streamspace-podman.sock' },
});
const sessions = Math.round(positive('sessions', options.sessions));
const NETWORK = 'streamspace-sessions'; // the agent's network, so both paths use the same bridge

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

async function throughput(streamspace: StreamSpace, concurrency: number, total: number): Promise<number> {
  const started = performance.now();
  for (let done = 0; done < total; done += concurrency) {
    const batch = Math.min(concurrency, total - done);
    await Promise.all(Array.from({ length: batch }, () => streamspace.timeSessionStart(options.template)));
  }
  const minutes = (performance.now() - started) / 60_000;
  await streamspace.cleanup();
  return total / minutes;
}

print(`# bench/session-start — ${machine()}`);
const streamspace = await StreamSpace.start(options['docker-host']);
try {
  // One warm-up of each path: the image is in the page cache, the network exists.
  await timeDirectPodman(options.image, NETWORK);
  await streamspace.timeSessionStart(options.template);
  await streamspace.cleanup();

  const direct: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < sessions; i++) {
    // Interleaved so a slow phase of the machine hits both paths alike.
    direct.push(await timeDirectPodman(options.image, NETWORK));
    ours.push(await streamspace.timeSessionStart(options.template));
    await streamspace.cleanup();
  }
  const perMinute1 = await throughput(streamspace, 1, 5);
  const perMinute5 = await throughput(streamspace, 5, 10);

  const row = (name: string, values: number[]) => [
    name,
    fixed(percentile(values, 50), 0),
    fixed(percentile(values, 95), 0),
  ];
  const markdown = [
    `Session start to first FramebufferUpdate, ${sessions} sessions each, warm image (\`${commandLine('bench/dist/session-start/main.js')}\`):`,
    '',
    table(
      ['path', 'p50 ms', 'p95 ms'],
      ['l', 'r', 'r'],
      [row('`podman run` + VNC client (baseline)', direct), row('StreamSpace: POST /sessions → agent → VNC', ours)],
    ),
    '',
    `Ratio p50 ${fixed(percentile(ours, 50) / percentile(direct, 50), 2)}, p95 ${fixed(percentile(ours, 95) / percentile(direct, 95), 2)} (goal ≤ 1.5). ` +
      `Sessions started per minute: ${fixed(perMinute1, 0)} at concurrency 1, ${fixed(perMinute5, 0)} at concurrency 5.`,
  ].join('\n');
  print();
  print(markdown);
  print(`\n(saved to ${saveResult('session-start', markdown)})`);
} finally {
  await streamspace.stop();
}
