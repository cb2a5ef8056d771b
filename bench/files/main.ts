import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild } from '../support/bench-child.js';
import { AGENT_TOKEN, controlPlaneEnv } from '../support/control-plane-env.js';
import { api, loginAsAdmin } from '../support/http.js';
import { positiveList, readOptions } from '../support/options.js';
import { commandLine, fixed, machine, print, saveResult, table } from '../support/report.js';
import { sh, timeDownload, timePodmanCp, timeUpload } from './transfers.js';

// bench/files: files into and out of a real session through the API (browser → control plane →
// agent's dial-out stream → exec in the container) against `podman cp` of the same file in the same
// run, and the control plane's and the agent's peak RSS during each transfer, at growing sizes, to
// show memory stays flat whatever the file's size.

const options = readOptions({
  sizes: { env: 'BENCH_SIZES_MIB', default: '64,256,1024' },
  'docker-host': { env: 'DOCKER_HOST', default: 'unix:///run/streamspace-podman.sock' },
});
const sizes = positiveList('sizes', options.sizes);
const MiB = 1024 * 1024;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const step = (message: string) => process.stderr.write(`files: ${message}\n`);

print(`# bench/files — ${machine()}`);
const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-bench-files-'));
const cp = await BenchChild.start(
  here('../support/control-plane-process.js'),
  {
    ...controlPlaneEnv(dataDir),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    SESSION_UPLOAD_MAX: `${Math.max(...sizes) + 1}MiB`,
    METRICS_PORT: '0', // other control planes on this machine may hold 9090
  },
  join(dataDir, 'cp.log'),
);
const agent = await BenchChild.start(
  here('./agent-process.js'),
  {
    ...process.env,
    AGENT_ID: `bench-files-${process.pid}`,
    CONTROL_PLANE_URL: cp.url,
    AGENT_TOKEN,
    AGENT_CREDENTIAL_FILE: join(dataDir, 'agent.credential'),
    DOCKER_HOST: options['docker-host'],
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  },
  join(dataDir, 'agent.log'),
);
const token = await loginAsAdmin(cp.url);
let sessionId: string | undefined;
try {
  ({ id: sessionId } = await api<{ id: string }>(cp.url, 'POST', '/api/v1/sessions', token, { template: 'xterm' }));
  for (;;) {
    const { state, state_reason } = await api<{ state: string; state_reason: string }>(
      cp.url,
      'GET',
      `/api/v1/sessions/${sessionId}`,
      token,
    );
    if (state === 'running') break;
    if (state === 'failed') throw new Error(`session failed: ${state_reason}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const container = `streamspace-session-${sessionId}`;
  const content = (path: string) =>
    `${cp.url}/api/v1/sessions/${sessionId}/files/content?path=${encodeURIComponent(path)}`;
  step('session running');

  const rows: string[][] = [];
  const memory: string[][] = [];
  const ratios = { up: [] as number[], down: [] as number[] };
  for (const mib of sizes) {
    const size = mib * MiB;
    const file = join(dataDir, `file-${mib}.bin`);
    await sh(`head -c ${size} /dev/urandom > ${file}`);
    // podman cp first, in and out, then ours: same file, same container, same disk.
    const cpIn = await timePodmanCp(file, `${container}:/home/user/podman-cp.bin`);
    const cpOut = await timePodmanCp(`${container}:/home/user/podman-cp.bin`, join(dataDir, 'out.bin'));
    await rm(join(dataDir, 'out.bin'), { force: true });
    await sh(`podman exec ${container} rm -f /home/user/podman-cp.bin`);

    await Promise.all([cp.windowStart(), agent.windowStart()]);
    const up = await timeUpload(content('bench.bin'), token, file, size);
    const [cpUp, agentUp] = await Promise.all([cp.windowEnd(), agent.windowEnd()]);
    await Promise.all([cp.windowStart(), agent.windowStart()]);
    const down = await timeDownload(content('bench.bin'), token, size);
    const [cpDown, agentDown] = await Promise.all([cp.windowEnd(), agent.windowEnd()]);
    await sh(`podman exec ${container} rm -f /home/user/bench.bin`);
    await rm(file, { force: true });
    step(`${mib} MiB measured`);

    const rate = (seconds: number) => fixed(mib / seconds, 0);
    rows.push(
      [`${mib} MiB upload`, rate(cpIn), rate(up), fixed(cpIn / up, 2)],
      [`${mib} MiB download`, rate(cpOut), rate(down), fixed(cpOut / down, 2)],
    );
    ratios.up.push(cpIn / up);
    ratios.down.push(cpOut / down);
    memory.push([
      `${mib} MiB`,
      fixed(cpUp.rssMaxMiB, 0),
      fixed(agentUp.rssMaxMiB, 0),
      fixed(cpDown.rssMaxMiB, 0),
      fixed(agentDown.rssMaxMiB, 0),
      `${fixed(cpUp.cpuSeconds + agentUp.cpuSeconds, 1)} / ${fixed(cpDown.cpuSeconds + agentDown.cpuSeconds, 1)}`,
    ]);
  }

  const last = memory.at(-1)!;
  const first = memory[0]!;
  const markdown = [
    `Files through the API against \`podman cp\` of the same file, same container, same run (\`${commandLine('bench/dist/files/main.js')}\`):`,
    '',
    table(['transfer', '`podman cp` MiB/s', 'StreamSpace MiB/s', 'vs podman cp'], ['l', 'r', 'r', 'r'], rows),
    '',
    'Peak RSS of each process during the transfer (MiB), as the file grows:',
    '',
    table(
      [
        'file',
        'control plane, upload',
        'agent, upload',
        'control plane, download',
        'agent, download',
        'CPU s cp+agent (up / down)',
      ],
      ['l', 'r', 'r', 'r', 'r', 'r'],
      memory,
    ),
  ].join('\n');
  print();
  print(markdown);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  print(
    `\nRESULT files upload_vs_podman_cp=${fixed(mean(ratios.up), 2)} download_vs_podman_cp=${fixed(mean(ratios.down), 2)} ` +
      `cp_rss_peak_mib=${last[1]}/${last[3]} agent_rss_peak_mib=${last[2]}/${last[4]} ` +
      `cp_rss_growth_mib=${fixed(Number(last[1]!.replaceAll(',', '')) - Number(first[1]!.replaceAll(',', '')), 0)} ` +
      `agent_rss_growth_mib=${fixed(Number(last[2]!.replaceAll(',', '')) - Number(first[2]!.replaceAll(',', '')), 0)}`,
  );
  print(`\n(saved to ${saveResult('files', markdown)})`);
} finally {
  if (sessionId) await api(cp.url, 'DELETE', `/api/v1/sessions/${sessionId}`, token).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await agent.stop();
  await cp.stop();
  await rm(dataDir, { recursive: true, force: true });
}
