import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  ALL_IMAGES,
  IMAGES_DIR,
  RECIPE_LABEL,
  REPO_ROOT,
  SESSION_IMAGES,
  imageTags,
  isServiceImage,
  recipeHash,
} from '../images/catalog.js';
import { BUILD_FLAGS, findEngine, run } from '../images/engine.js';
import { ensureBaseImage, ensureNodeBaseImage } from '../images/base-image.js';

export interface ImageBuildOptions {
  names: string[];
  /** Where built images are kept as archives named by recipe hash (CI's cache, outside the clone). */
  cacheDir?: string;
  engine?: string;
}

/**
 * `streamspace image build [name…] [--cache-dir DIR]`: builds the session images (by default) or
 * the control-plane and agent images with podman or docker. An image whose recipe hash matches is
 * not rebuilt; with a cache dir, an archive of the same recipe is loaded instead of building.
 */
export async function buildImages(options: ImageBuildOptions): Promise<void> {
  const names = options.names.length > 0 ? options.names : [...SESSION_IMAGES];
  for (const name of names) {
    if (!ALL_IMAGES.includes(name)) throw new Error(`unknown image "${name}"; the images are ${ALL_IMAGES.join(', ')}`);
  }
  const engine = await findEngine(options.engine);
  const log = (line: string) => process.stdout.write(`streamspace image build: ${line}\n`);
  for (const name of names) {
    const [tag, ...aliases] = imageTags(name) as [string, ...string[]];
    const hash = recipeHash(name);
    // The release tag (`:0.1.0`, the Helm chart's appVersion) names the same image as `:latest`.
    const tagAliases = async () => {
      for (const alias of aliases) await run(engine, ['tag', tag, alias], { quiet: true });
    };
    const archive = options.cacheDir ? join(options.cacheDir, `${name}-${hash}.tar`) : undefined;
    if ((await labelOf(engine, tag)) === hash) {
      log(`${tag} is up to date (recipe ${hash})`);
      // Built here earlier without the cache: keep it now, so a fresh machine can load it.
      if (archive && !existsSync(archive)) await saveArchive(engine, tag, archive, log);
      await tagAliases();
      continue;
    }
    if (archive && existsSync(archive)) {
      log(`loading ${tag} from ${archive}`);
      await run(engine, ['load', '-i', archive], { quiet: true });
      if ((await labelOf(engine, tag)) === hash) {
        await tagAliases();
        continue;
      }
      log(`${archive} did not hold ${tag} at recipe ${hash}; building`);
    }
    const recipe = isServiceImage(name) ? await serviceRecipe(engine, log) : await sessionRecipe(engine, log);
    log(`building ${[tag, ...aliases].join(', ')} on ${recipe.base}`);
    const started = Date.now();
    await run(engine, [
      'build',
      ...BUILD_FLAGS,
      ...recipe.args,
      '--label',
      `${RECIPE_LABEL}=${hash}`,
      ...[tag, ...aliases].flatMap((t) => ['-t', t]),
      '-f',
      join(IMAGES_DIR, name, 'Containerfile'),
      recipe.context,
    ]);
    log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    if (archive) await saveArchive(engine, tag, archive, log);
  }
}

interface Recipe {
  base: string;
  args: string[];
  context: string;
}

/** Session images: `FROM ${BASE}` (Debian), context images/ (for common/). */
async function sessionRecipe(engine: string, log: (line: string) => void): Promise<Recipe> {
  const base = await ensureBaseImage(engine, log);
  return { base, args: ['--build-arg', `BASE=${base}`], context: IMAGES_DIR };
}

/**
 * Service images: `FROM ${NODE_BASE}`, context the repository root. Their `npm ci` reaches the npm
 * registry; behind a TLS-intercepting proxy it must trust what this host's npm trusts, so the CA
 * file named by NODE_EXTRA_CA_CERTS or npm's `cafile` setting is handed to it as a build secret,
 * which no layer keeps.
 */
async function serviceRecipe(engine: string, log: (line: string) => void): Promise<Recipe> {
  const base = await ensureNodeBaseImage(engine, log);
  const ca = process.env.NODE_EXTRA_CA_CERTS || (await npmCafile());
  const secret = ca && existsSync(ca) ? ['--secret', `id=npm_ca,src=${ca}`] : [];
  return { base, args: ['--build-arg', `NODE_BASE=${base}`, ...secret], context: REPO_ROOT };
}

async function npmCafile(): Promise<string | undefined> {
  const value = (await run('npm', ['config', 'get', 'cafile'], { quiet: true }).catch(() => '')).trim();
  return value && value !== 'null' && value !== 'undefined' ? value : undefined;
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
