import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from '@streamspace/test/support/browser';
import { BenchChild } from '../support/bench-child.js';
import { AGENT_TOKEN, controlPlaneEnv } from '../support/control-plane-env.js';
import { api, loginAsAdmin } from '../support/http.js';
import { positive, readOptions } from '../support/options.js';
import { commandLine, machine, print, saveResult } from '../support/report.js';
import { buildBenchImage } from './bench-image.js';
import { createBenchTemplate, startSession, type BenchSession } from './bench-sessions.js';
import { measureEcho, measureFlow, type FlowResult } from './measure-viewer.js';
import { processTree } from './process-cpu.js';
import { encodingTable, flowTable, echoTable, resultLine, type PathResults } from './viewer-report.js';
import {
  childMeter,
  directPath,
  minimalPagePath,
  viewerPagePath,
  type Encoding,
  type ViewerPath,
} from './viewer-paths.js';
import { startWebsockify, websockifyInstalled, type Websockify } from './websockify.js';

// bench/viewer: what a user of the desktop feels, in Chromium, side by side in one run. A session
// of images/viewer-bench (xscreensaver's interference: every pixel redrawn each frame, in many
// colours) and one of xterm, started through StreamSpace all-in-one (`streamspace up`: control
// plane and Docker agent in one process), each shown by noVNC three ways: the bench's minimal noVNC
// page through websockify straight to the session's Xvnc (the baseline), the same page through
// StreamSpace, and the StreamSpace viewer page; then the viewer page through StreamSpace
// distributed (a control plane and an agent process, with sessions of their own). Frames and bytes
// per second on interference, key-to-glyph latency on xterm, CPU of each hop; then the viewer's
// quality and compression levels swept on interference.

const options = readOptions({
  seconds: { env: 'BENCH_SECONDS', default: '10' },
  presses: { env: 'BENCH_PRESSES', default: '60' },
  repeat: { env: 'BENCH_REPEAT', default: '2' },
  // The viewer's defaults (packages/web/src/pages/viewer-settings.ts DEFAULT_SETTINGS).
  quality: { env: 'BENCH_QUALITY', default: '4' },
  compression: { env: 'BENCH_COMPRESSION', default: '2' },
  sweep: { env: 'BENCH_SWEEP', default: '2/2,4/2,6/2,9/2,2/6,4/6,6/6,4/0' },
  'cache-dir': { env: 'BENCH_IMAGE_CACHE', default: '' },
  /** `no` leaves out the distributed row (a second control plane and an agent process). */
  distributed: { env: 'BENCH_DISTRIBUTED', default: 'yes' },
  'docker-host': { env: 'DOCKER_HOST', default: 'unix:///run/streamspace-podman.sock' },
});
const level = (name: string, text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 9) throw new Error(`--${name}: expected 0-9, got "${text}"`);
  return value;
};
const encoding: Encoding = {
  quality: level('quality', options.quality),
  compression: level('compression', options.compression),
};
const sweep: Encoding[] =
  options.sweep === 'none'
    ? []
    : options.sweep.split(',').map((pair) => {
        const [quality, compression] = pair.split('/');
        return { quality: level('sweep', quality ?? ''), compression: level('sweep', compression ?? '') };
      });
const windowMs = positive('seconds', options.seconds) * 1000;
const presses = Math.round(positive('presses', options.presses));
const repeat = Math.round(positive('repeat', options.repeat));
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const step = (message: string) => process.stderr.write(`viewer: ${message}\n`);
const WARMUP_MS = 3000;

print(`# bench/viewer — ${machine()}`);
const dataDirs: string[] = [];
const children: BenchChild[] = [];
const child = async (script: string, env: (dir: string) => NodeJS.ProcessEnv) => {
  const dir = await mkdtemp(join(tmpdir(), 'streamspace-bench-viewer-'));
  dataDirs.push(dir);
  const started = await BenchChild.start(here(script), env(dir), join(dir, 'server.log'));
  children.push(started);
  return started;
};
const serverEnv = (dir: string) => ({
  ...controlPlaneEnv(dir),
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  DOCKER_HOST: options['docker-host'],
});
const proxies = new Map<string, Websockify>();
const deployments: Deployment[] = [];
let browser: Browser | undefined;

/** A control plane the bench drives, and the two sessions it started. */
interface Deployment {
  cp: BenchChild;
  token: string;
  redraw: BenchSession;
  terminal: BenchSession;
}
async function deploy(cp: BenchChild): Promise<Deployment> {
  const token = await loginAsAdmin(cp.url);
  const deployment: Deployment = {
    cp,
    token,
    redraw: await startSession(cp.url, token, await createBenchTemplate(cp.url, token)),
    terminal: await startSession(cp.url, token, 'xterm'),
  };
  deployments.push(deployment);
  return deployment;
}

/** A path and the sessions it shows. */
interface Route {
  path: ViewerPath;
  on: Deployment;
}
try {
  step('building images/viewer-bench');
  await buildBenchImage(options['cache-dir'] || undefined);
  const allInOneCp = await child('./all-in-one-process.js', serverEnv);
  const allInOne = await deploy(allInOneCp);
  const routes: Route[] = [];
  if (websockifyInstalled()) {
    for (const session of [allInOne.redraw, allInOne.terminal]) {
      proxies.set(session.id, await startWebsockify(session.host, session.port));
    }
    routes.push({ path: directPath(proxies), on: allInOne });
  } else print('websockify is not installed (Debian: apt-get install websockify): the direct row is skipped.');
  const inOneProcess = { name: 'control plane + agent (one process)', cpu: childMeter(allInOneCp) };
  routes.push(
    { path: minimalPagePath(allInOneCp, allInOne.token, inOneProcess.name), on: allInOne },
    { path: viewerPagePath(allInOneCp, 'all-in-one', inOneProcess), on: allInOne },
  );
  const viewerRoute = routes[routes.length - 1]!;
  if (options.distributed !== 'no') {
    const cp = await child('../support/control-plane-process.js', serverEnv);
    const agent = await child('./agent-process.js', (dir) => ({
      ...serverEnv(dir),
      AGENT_ID: 'bench-viewer-agent',
      CONTROL_PLANE_URL: cp.url,
      AGENT_TOKEN,
      AGENT_CREDENTIAL_FILE: join(dir, 'agent-credential'),
    }));
    const relay = { name: 'control plane + agent (two processes)', cpu: childMeter(cp, agent) };
    routes.push({ path: viewerPagePath(cp, 'distributed', relay), on: await deploy(cp) });
  }
  step('control planes and agents up, an interference and an xterm session running on each');

  // The minimal page is answered by Playwright rather than a server, so Chromium cannot tell its
  // address space and would refuse its WebSocket to a loopback port (Local Network Access checks).
  browser = await launchChromium(['--disable-features=LocalNetworkAccessChecks']);
  const chromium = processTree(process.pid).find((p) => p.pid !== process.pid && p.comm.startsWith('chrom'));
  if (!chromium) throw new Error('Chromium was launched but no chromium process is among this one’s children');
  const setup = { browser, chromiumPid: chromium.pid, warmupMs: WARMUP_MS, windowMs };

  // The paths take turns, `repeat` times, each turn starting one path later, so a slow phase of
  // the shared machine (or Chromium's first page) does not always fall on the same path.
  const results = new Map<ViewerPath, PathResults>(routes.map((r) => [r.path, { flows: [], echoes: [] }]));
  for (let turn = 0; turn < repeat; turn++) {
    const order = routes.map((_, i) => routes[(i + turn) % routes.length]!);
    for (const { path, on } of order) {
      step(`turn ${turn + 1}/${repeat}: ${path.name}`);
      results.get(path)!.flows.push(await measureFlow(setup, path, on.redraw, encoding));
      results.get(path)!.echoes.push(...(await measureEcho(browser, path, on.terminal, encoding, presses)));
    }
  }

  // Encodings: the viewer page (what users get) on interference, one window per setting.
  const swept: Array<{ encoding: Encoding; flow: FlowResult }> = [];
  for (const setting of sweep) {
    step(`encoding quality ${setting.quality} compression ${setting.compression}`);
    const flow = await measureFlow(setup, viewerRoute.path, allInOne.redraw, setting);
    swept.push({ encoding: setting, flow });
  }

  const rows = routes.map(({ path }) => ({ path, ...results.get(path)! }));
  const markdown = [
    `Chromium + noVNC on a 1280×800 xscreensaver interference session (every pixel redrawn each frame) and an xterm session, started through StreamSpace all-in-one; ` +
      `quality ${encoding.quality}, compression ${encoding.compression}; median of ${repeat} windows of ${windowMs / 1000} s per path, ` +
      `${presses * repeat} key presses per path (\`${commandLine('bench/dist/viewer/main.js')}\`):`,
    '',
    flowTable(rows),
    '',
    echoTable(rows),
    ...(swept.length
      ? [
          '',
          `Encodings on the viewer page (interference, one ${windowMs / 1000} s window each; Tight with JPEG):`,
          '',
          encodingTable(swept),
        ]
      : []),
  ].join('\n');
  print();
  print(markdown);
  print(`\n(saved to ${saveResult('viewer', markdown)})`);
  print(resultLine(rows, viewerRoute.path));
} finally {
  await browser?.close();
  for (const proxy of proxies.values()) proxy.stop();
  for (const { cp, token, redraw, terminal } of deployments) {
    for (const session of [redraw, terminal]) {
      await api(cp.url, 'DELETE', `/api/v1/sessions/${session.id}`, token).catch(() => undefined);
    }
  }
  // The agents remove the containers; they are given the time that takes before they stop.
  await waitForContainersGone(deployments.flatMap((d) => [d.redraw, d.terminal]));
  for (const started of children.reverse()) await started.stop();
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
}

async function waitForContainersGone(gone: BenchSession[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && gone.some((s) => processTree(s.pid).length > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
