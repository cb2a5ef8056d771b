import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { run, succeeds } from './engine.js';

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
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await run(engine, ['import', '-', LOCAL_BASE], { input: tar.stdout, quiet: true });
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
  return LOCAL_BASE;
}
