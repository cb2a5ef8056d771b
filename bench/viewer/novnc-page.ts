import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import type { Page } from 'playwright-core';

/** noVNC's package folder: the same @novnc/novnc the web UI bundles. */
const NOVNC_DIR = dirname(dirname(createRequire(import.meta.url).resolve('@novnc/novnc')));
const PREFIX = '/__bench/';

/**
 * The least a browser needs to show a VNC desktop: noVNC's RFB on a WebSocket URL, nothing else
 * (no React, no toolbar, no stats probe). Given the same quality and compression, it is the
 * baseline the viewer page is compared with, on either path.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>bench noVNC</title>
<style>html,body{margin:0;height:100%;overflow:hidden}.screen{width:100%;height:100%}</style></head>
<body><div class="screen"></div>
<script type="module">
import RFB from './novnc/core/rfb.js';
const params = new URLSearchParams(location.search);
const rfb = new RFB(document.querySelector('.screen'), params.get('url'), {
  credentials: { password: params.get('password') ?? '' },
  wsProtocols: ['binary'],
});
rfb.qualityLevel = Number(params.get('quality'));
rfb.compressionLevel = Number(params.get('compression'));
rfb.addEventListener('connect', () => { document.body.dataset.connected = 'yes'; rfb.focus(); });
rfb.addEventListener('disconnect', (e) => { document.body.dataset.connected = 'no:' + e.detail.clean; });
</script></body></html>`;

/**
 * Opens the minimal page at `origin` (the control plane's, so its WebSocket passes the origin
 * check, or websockify's) without any server there serving it: Playwright answers the page's own
 * requests from memory and from node_modules. Resolves once noVNC has connected.
 */
export async function openNovncPage(
  page: Page,
  origin: string,
  ws: { url: string; password?: string; quality: number; compression: number },
): Promise<void> {
  await page.route(`${origin}${PREFIX}**`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice(PREFIX.length);
    if (path === 'page.html') return route.fulfill({ contentType: 'text/html', body: PAGE });
    const file = normalize(join(NOVNC_DIR, path.replace(/^novnc\//, '')));
    const body = file.startsWith(NOVNC_DIR) ? await readFile(file).catch(() => undefined) : undefined;
    return route.fulfill(body ? { contentType: 'text/javascript', body } : { status: 404 });
  });
  const query = new URLSearchParams({
    url: ws.url,
    password: ws.password ?? '',
    quality: String(ws.quality),
    compression: String(ws.compression),
  });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  await page.goto(`${origin}${PREFIX}page.html?${query}`);
  const state = await page
    .waitForFunction(() => document.body.dataset.connected, undefined, { timeout: 30_000 })
    .then((handle) => handle.jsonValue())
    .catch(() => 'no answer in 30 s');
  if (state !== 'yes')
    throw new Error(`noVNC did not connect to ${ws.url}: ${state}; page errors: ${problems.join('; ')}`);
}
