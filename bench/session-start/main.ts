import { commandLine, fixed, machine, print, saveResult, table } from '../support/report.js';
import { positive, readOptions } from '../support/options.js';
import { timeDirectPodman } from './direct-podman.js';
import { StreamSpace, type WarmStart } from './via-streamspace.js';

// bench/session-start: time from POST /api/v1/sessions to the first RFB FramebufferUpdate through
// the agent, against `podman run` of the same image to its first FramebufferUpdate, same run, same
// machine; and sessions started per minute at concurrency 1 and 5; and a start claimed from a warm
// pool, to the first update through the viewer's path. Prints figures, never fails on them.

const options = readOptions({
  sessions: { env: 'BENCH_SESSIONS', default: '10' },
  image: { env: 'BENCH_IMAGE', default: 'streamspace/xterm:latest' },
  template: { env: 'BENCH_TEMPLATE', default: 'xterm' },
  'docker-host': { env: 'DOCKER_HOST', default: 'unix:///run/streamspace-podman.sock' },
  'warm-pool': { env: 'BENCH_WARM_POOL', default: '2' },
  // Warm starts are cheap; more of them make their p95 a percentile rather than the slowest one.
  'warm-samples': { env: 'BENCH_WARM_SAMPLES', default: '30' },
});
const warmPoolSize = Math.round(positive('warm-pool', options['warm-pool']));
const warmSamples = Math.round(positive('warm-samples', options['warm-samples']));
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

  // Warm pool (issue 16): a copy of the template keeps sessions running ahead; each start claims
  // one. Measured after the cold rows so the pool's containers do not load the machine under them.
  await streamspace.startWarmPool(options.template, `${options.template}-warm-bench`, warmPoolSize);
  await streamspace.timeWarmStart(); // warm-up: the first WebSocket and ticket
  await streamspace.cleanup();
  const warmStarts: WarmStart[] = [];
  for (let i = 0; i < warmSamples; i++) {
    warmStarts.push(await streamspace.timeWarmStart());
    await streamspace.cleanup();
  }
  const warm = warmStarts.map((w) => w.total);
  const step = (key: keyof WarmStart) => {
    const values = warmStarts.map((w) => w[key]);
    return `${fixed(percentile(values, 50), 0)} / ${fixed(percentile(values, 95), 0)}`;
  };

  const row = (name: string, values: number[]) => [
    name,
    fixed(percentile(values, 50), 0),
    fixed(percentile(values, 95), 0),
  ];
  const markdown = [
    `Session start to first FramebufferUpdate, ${sessions} sessions each (${warmSamples} warm-pool starts), warm image (\`${commandLine('bench/dist/session-start/main.js')}\`):`,
    '',
    table(
      ['path', 'p50 ms', 'p95 ms'],
      ['l', 'r', 'r'],
      [
        row('`podman run` + VNC client (baseline)', direct),
        row('StreamSpace: POST /sessions → agent → VNC', ours),
        row(`StreamSpace warm pool (${warmPoolSize}): POST claims → /connect → /vnc WebSocket → first update`, warm),
      ],
    ),
    '',
    `Ratio p50 ${fixed(percentile(ours, 50) / percentile(direct, 50), 2)}, p95 ${fixed(percentile(ours, 95) / percentile(direct, 95), 2)} (goal ≤ 1.5). ` +
      `Sessions started per minute: ${fixed(perMinute1, 0)} at concurrency 1, ${fixed(perMinute5, 0)} at concurrency 5. ` +
      `Warm pool p95 ${fixed(percentile(warm, 95), 0)} ms (goal < 150 ms, click to first frame); its steps, p50 / p95: ` +
      `claim (POST) ${step('claim')} ms, ticket (/connect) ${step('ticket')} ms, WebSocket + RFB handshake + first update ${step('frame')} ms.`,
  ].join('\n');
  print();
  print(markdown);
  print(`\n(saved to ${saveResult('session-start', markdown)})`);
  print(
    `\nRESULT session_start_vs_podman_p50=${(percentile(ours, 50) / percentile(direct, 50)).toFixed(2)} ` +
      `warm_p50_ms=${percentile(warm, 50).toFixed(0)} warm_p95_ms=${percentile(warm, 95).toFixed(0)}`,
  );
} finally {
  await streamspace.stop();
}
