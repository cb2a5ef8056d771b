import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { IMAGES_DIR, SESSION_IMAGES, imageTag, recipeHash } from '../images/catalog.js';
import { findEngine, run } from '../images/engine.js';
import { ensureBaseImage } from '../images/base-image.js';

const RECIPE_LABEL = 'io.streamspace.recipe';

export interface ImageBuildOptions {
  names: string[];
  /** Where built images are kept as archives named by recipe hash (CI's cache, outside the clone). */
  cacheDir?: string;
  engine?: string;
}

/**
 * `streamspace image build [name…] [--cache-dir DIR]`: builds the session images with podman or
 * docker. An image whose recipe hash matches is not rebuilt; with a cache dir, an archive of the
 * same recipe is loaded instead of building.
 */
export async function buildImages(options: ImageBuildOptions): Promise<void> {
  const names = options.names.length > 0 ? options.names : [...SESSION_IMAGES];
  for (const name of names) {
    if (!(SESSION_IMAGES as readonly string[]).includes(name)) {
      throw new Error(`unknown image "${name}"; the session images are ${SESSION_IMAGES.join(', ')}`);
    }
  }
  const engine = await findEngine(options.engine);
  const log = (line: string) => process.stdout.write(`streamspace image build: ${line}\n`);
  for (const name of names) {
    const tag = imageTag(name);
    const hash = recipeHash(name);
    const archive = options.cacheDir ? join(options.cacheDir, `${name}-${hash}.tar`) : undefined;
    if ((await labelOf(engine, tag)) === hash) {
      log(`${tag} is up to date (recipe ${hash})`);
      // Built here earlier without the cache: keep it now, so a fresh machine can load it.
      if (archive && !existsSync(archive)) await saveArchive(engine, tag, archive, log);
      continue;
    }
    if (archive && existsSync(archive)) {
      log(`loading ${tag} from ${archive}`);
      await run(engine, ['load', '-i', archive], { quiet: true });
      if ((await labelOf(engine, tag)) === hash) continue;
      log(`${archive} did not hold ${tag} at recipe ${hash}; building`);
    }
    const base = await ensureBaseImage(engine, log);
    log(`building ${tag} on ${base}`);
    const started = Date.now();
    await run(engine, [
      'build',
      '--network',
      'host',
      // Some hosts' hard limits are below the engine's defaults, and runc then refuses to start the build.
      '--ulimit',
      'nofile=1024:1024',
      '--ulimit',
      'nproc=4096:4096',
      '--build-arg',
      `BASE=${base}`,
      '--label',
      `${RECIPE_LABEL}=${hash}`,
      '-t',
      tag,
      '-f',
      join(IMAGES_DIR, name, 'Containerfile'),
      IMAGES_DIR,
    ]);
    log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    if (archive) await saveArchive(engine, tag, archive, log);
  }
}

async function saveArchive(engine: string, tag: string, archive: string, log: (line: string) => void) {
  await mkdir(dirname(archive), { recursive: true });
  await run(engine, ['save', '-o', `${archive}.partial`, tag], { quiet: true });
  await rename(`${archive}.partial`, archive);
  log(`cached ${tag} as ${archive}`);
}

async function labelOf(engine: string, tag: string): Promise<string | undefined> {
  try {
    const out = await run(
      engine,
      ['image', 'inspect', '--format', `{{ index .Config.Labels "${RECIPE_LABEL}" }}`, tag],
      { quiet: true },
    );
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}
