#!/usr/bin/env node
// The `streamspace` command as npm links it (`npx streamspace …`). It lives outside dist/ so that
// `npm ci` can link it before anything is built; on a fresh clone it builds first, once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  process.stderr.write('streamspace: not built yet; building it first (npm run build)…\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0 || !existsSync(main)) {
    process.stderr.write('streamspace: the build failed (above); fix it, or run `npm ci` again, then retry\n');
    process.exit(1);
  }
}
await import(main.href);
