import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from '@streamspace/test/support/browser';
import { BenchChild } from '../support/bench-child.js';
import { controlPlaneEnv } from '../support/control-plane-env.js';
import { api, loginAsAdmin } from '../support/http.js';
import { positive, readOptions } from '../support/options.js';
import { commandLine, machine, print, saveResult } from '../support/report.js';
import { buildBenchImage } from './bench-image.js';
import { createBenchTemplate, startSession, type BenchSession } from './bench-sessions.js';
import { measureEcho, measureFlow, type FlowResult } from './measure-viewer.js';
import { processTree } from './process-cpu.js';
import { encodingTable, flowTable, echoTable, resultLine, type PathResults } from './viewer-report.js';
import { directPath, minimalPagePath, viewerPagePath, type Encoding, type ViewerPath } from './viewer-paths.js';
import { startWebsockify, websockifyInstalled, type Websockify } from './websockify.js';

// bench/viewer: what a user of the desktop feels, in Chromium, side by side in one run. A session
// of images/viewer-bench (cwaves, every pixel redrawn each frame) and one of xterm, started through
// StreamSpace all-in-one (`streamspace up`: control plane and Docker agent in one process), each
// shown by noVNC three ways: the bench's minimal noVNC page through websockify straight to the
// session's Xvnc (the baseline), the same page through StreamSpace, and the StreamSpace viewer page.
// Frames per second and bytes per second on cwaves, key-to-glyph latency on xterm, CPU of each hop;
// then the viewer's quality and compression levels swept on cwaves.

const options = readOptions({
  seconds: { env: 'BENCH_SECONDS', default: '10' },
  presses: { env: 'BENCH_PRESSES', default: '60' },
  repeat: { env: 'BENCH_REPEAT', default: '2' },
  // The viewer's defaults (packages/web/src/pages/viewer-settings.ts DEFAULT_SETTINGS).
  quality: { env: 'BENCH_QUALITY', default: '6' },
  compression: { env: 'BENCH_COMPRESSION', default: '2' },
  sweep: { env: 'BENCH_SWEEP', default: '9/2,6/2,4/2,2/2,6/0,6/6,6/9' },
  'cache-dir': { env: 'BENCH_IMAGE_CACHE', default: '' },
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
const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-bench-viewer-'));
const proxies = new Map<string, Websockify>();
let cp: BenchChild | undefined;
let browser: Browser | undefined;
const sessions: BenchSession[] = [];
try {
  step('building images/viewer-bench');
  await buildBenchImage(options['cache-dir'] || undefined);
  cp = await BenchChild.start(
    here('./all-in-one-process.js'),
    {
      ...controlPlaneEnv(dataDir),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      DOCKER_HOST: options['docker-host'],
    },
    join(dataDir, 'cp.log'),
  );
  const token = await loginAsAdmin(cp.url);
  const redraw = await startSession(cp.url, token, await createBenchTemplate(cp.url, token));
  const terminal = await startSession(cp.url, token, 'xterm');
  sessions.push(redraw, terminal);
  step('control plane with its agent, a cwaves and an xterm session running');

  const paths: ViewerPath[] = [];
  if (websockifyInstalled()) {
    for (const session of sessions) proxies.set(session.id, await startWebsockify(session.host, session.port));
    paths.push(directPath(proxies));
  } else print('websockify is not installed (Debian: apt-get install websockify): the direct row is skipped.');
  const relay = 'control plane + agent (one process)';
  paths.push(minimalPagePath(cp, token, relay), viewerPagePath(cp, relay));

  // The minimal page is answered by Playwright rather than a server, so Chromium cannot tell its
  // address space and would refuse its WebSocket to a loopback port (Local Network Access checks).
  browser = await launchChromium(['--disable-features=LocalNetworkAccessChecks']);
  const chromium = processTree(process.pid).find((p) => p.pid !== process.pid && p.comm.startsWith('chrom'));
  if (!chromium) throw new Error('Chromium was launched but no chromium process is among this one’s children');
  const setup = { browser, chromiumPid: chromium.pid, warmupMs: WARMUP_MS, windowMs };

  // The paths take turns, `repeat` times, so a slow phase of the shared machine hits them alike.
  const results = new Map<ViewerPath, PathResults>(paths.map((p) => [p, { flows: [], echoes: [] }]));
  for (let turn = 0; turn < repeat; turn++) {
    for (const path of paths) {
      step(`turn ${turn + 1}/${repeat}: ${path.name}`);
      results.get(path)!.flows.push(await measureFlow(setup, path, redraw, encoding));
      results.get(path)!.echoes.push(...(await measureEcho(browser, path, terminal, encoding, presses)));
    }
  }

  // Encodings: the viewer page (what users get) on cwaves, one window per setting.
  const swept: Array<{ encoding: Encoding; flow: FlowResult }> = [];
  const viewer = paths[paths.length - 1]!;
  for (const setting of sweep) {
    step(`encoding quality ${setting.quality} compression ${setting.compression}`);
    swept.push({ encoding: setting, flow: await measureFlow(setup, viewer, redraw, setting) });
  }

  const rows = paths.map((path) => ({ path, ...results.get(path)! }));
  const markdown = [
    `Chromium + noVNC on a 1280×800 cwaves session (every pixel redrawn each frame) and an xterm session, started through StreamSpace all-in-one; ` +
      `quality ${encoding.quality}, compression ${encoding.compression}; median of ${repeat} windows of ${windowMs / 1000} s per path, ` +
      `${presses * repeat} key presses per path (\`${commandLine('bench/dist/viewer/main.js')}\`):`,
    '',
    flowTable(rows),
    '',
    echoTable(rows),
    ...(swept.length
      ? [
          '',
          `Encodings on the viewer page (cwaves, one ${windowMs / 1000} s window each; Tight with JPEG):`,
          '',
          encodingTable(swept),
        ]
      : []),
  ].join('\n');
  print();
  print(markdown);
  print(`\n(saved to ${saveResult('viewer', markdown)})`);
  print(resultLine(rows));
} finally {
  await browser?.close();
  for (const proxy of proxies.values()) proxy.stop();
  if (cp) {
    const token = await loginAsAdmin(cp.url).catch(() => undefined);
    for (const session of sessions) {
      await api(cp.url, 'DELETE', `/api/v1/sessions/${session.id}`, token).catch(() => undefined);
    }
    // The agent removes the containers; give it the time it takes before it stops.
    await waitForContainersGone(sessions);
    await cp.stop();
  }
  await rm(dataDir, { recursive: true, force: true });
}

async function waitForContainersGone(gone: BenchSession[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && gone.some((s) => processTree(s.pid).length > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
