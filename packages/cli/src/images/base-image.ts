import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { BUILD_FLAGS, run, succeeds } from './engine.js';

/** What the Containerfiles are written against (`FROM ${BASE}`). */
export const UPSTREAM_BASE = 'debian:bookworm-slim';
/** The base made locally with debootstrap where no registry can be reached. */
export const LOCAL_BASE = 'localhost/streamspace/debian-base:bookworm';

/**
 * The base image to build on: Debian's official image when it is present or can be pulled, else a
 * minimal bookworm made with debootstrap from Debian's package mirror and imported (needs root and
 * the debootstrap package).
 */
export async function ensureBaseImage(engine: string, log: (line: string) => void): Promise<string> {
  for (const image of [UPSTREAM_BASE, LOCAL_BASE]) {
    if (await succeeds(engine, ['image', 'inspect', image])) return image;
  }
  log(`pulling ${UPSTREAM_BASE}`);
  if (await succeeds(engine, ['pull', `docker.io/library/${UPSTREAM_BASE}`])) return UPSTREAM_BASE;
  log(`no registry answered; making ${LOCAL_BASE} with debootstrap`);
  if (userInfo().uid !== 0)
    throw new Error(`cannot pull ${UPSTREAM_BASE} and debootstrap needs root; run as root or pull the image first`);
  if (!(await succeeds('debootstrap', ['--version']))) {
    throw new Error(`cannot pull ${UPSTREAM_BASE} and debootstrap is not installed: apt-get install debootstrap`);
  }
  const rootfs = await mkdtemp(join(tmpdir(), 'streamspace-rootfs-'));
  try {
    await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian'], {
      quiet: true,
    });
    // The downloaded packages stay in the apt cache: 30 MB in every image built on the base.
    const debs = join(rootfs, 'var/cache/apt/archives');
    for (const file of await readdir(debs)) if (file.endsWith('.deb')) await rm(join(debs, file));
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await run(engine, ['import', '-', LOCAL_BASE], { input: tar.stdout, quiet: true });
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
  return LOCAL_BASE;
}

/** What the control-plane and agent Containerfiles are written against (`FROM ${NODE_BASE}`). */
export const UPSTREAM_NODE_BASE = 'node:20-bookworm-slim';
/** The Node base made locally where no registry can be reached: the host's Node version. */
export const localNodeBase = (version = process.versions.node) => `localhost/streamspace/node-base:${version}-bookworm`;

// The official image's layout: node in /usr/local/bin, its headers in /usr/local/include (node-gyp
// builds native modules against them), npm in /usr/local/lib/node_modules. The tarballs are
// bind-mounted, not copied, so they leave no layer behind.
const NODE_BASE_CONTAINERFILE = `ARG BASE
FROM \${BASE}
RUN --mount=type=bind,source=.,target=/pkgs \\
    tar -xzf /pkgs/node.tgz -C /usr/local --strip-components=1 package/bin package/include package/share \\
 && mkdir -p /usr/local/lib/node_modules/npm \\
 && tar -xzf /pkgs/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
`;

/**
 * The Node base image: the official `node:20-bookworm-slim` when it is present or can be pulled,
 * else its equivalent made here: the Debian base (see ensureBaseImage) plus the official Node
 * binary as the npm registry publishes it (package node-linux-<arch>, the host's version) and npm
 * (the host's version), both fetched with the host's npm and its registry settings.
 */
export async function ensureNodeBaseImage(engine: string, log: (line: string) => void): Promise<string> {
  const local = localNodeBase();
  for (const image of [UPSTREAM_NODE_BASE, local]) {
    if (await succeeds(engine, ['image', 'inspect', image])) return image;
  }
  log(`pulling ${UPSTREAM_NODE_BASE}`);
  if (await succeeds(engine, ['pull', `docker.io/library/${UPSTREAM_NODE_BASE}`])) return UPSTREAM_NODE_BASE;
  const base = await ensureBaseImage(engine, log);
  const npmVersion = (await run('npm', ['--version'], { quiet: true })).trim();
  const packages = {
    'node.tgz': `node-linux-${process.arch}@${process.versions.node}`,
    'npm.tgz': `npm@${npmVersion}`,
  };
  log(`no registry answered; making ${local} from ${base} with ${Object.values(packages).join(' and ')}`);
  const dir = await mkdtemp(join(tmpdir(), 'streamspace-node-base-'));
  try {
    for (const [file, spec] of Object.entries(packages)) {
      const packed = (await run('npm', ['pack', '--silent', '--pack-destination', dir, spec], { quiet: true })).trim();
      await rename(join(dir, packed.split('\n').pop()!), join(dir, file));
    }
    await writeFile(join(dir, 'Containerfile'), NODE_BASE_CONTAINERFILE);
    await run(engine, ['build', ...BUILD_FLAGS, '--build-arg', `BASE=${base}`, '-t', local, dir], { quiet: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return local;
}
