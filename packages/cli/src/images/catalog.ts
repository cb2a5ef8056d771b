import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: the build context of the control-plane and agent images. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The repository's images/ folder: Containerfiles and the session images' shared entry point. */
export const IMAGES_DIR = join(REPO_ROOT, 'images/');

/** Session images, by template name; each is `streamspace/<name>:latest`, as the seeded templates expect. */
export const SESSION_IMAGES = ['xterm', 'firefox-browser', 'desktop'] as const;
export type SessionImage = (typeof SESSION_IMAGES)[number];

/** StreamSpace's own images, built from the repository root; the Helm chart and compose file run them. */
export const SERVICE_IMAGES = ['control-plane', 'agent'] as const;
export type ServiceImage = (typeof SERVICE_IMAGES)[number];

/**
 * Session images only benchmarks use (bench/viewer): built by name (`streamspace image build
 * viewer-bench`), never by default, and offered by no seeded template.
 */
export const BENCH_IMAGES = ['viewer-bench'] as const;

export const ALL_IMAGES: readonly string[] = [...SESSION_IMAGES, ...SERVICE_IMAGES, ...BENCH_IMAGES];

export const isServiceImage = (name: string): name is ServiceImage =>
  (SERVICE_IMAGES as readonly string[]).includes(name);

export const imageTag = (name: string) => `streamspace/${name}:latest`;

/** The label holding an image's recipe hash: an image whose label matches is not rebuilt. */
export const RECIPE_LABEL = 'io.streamspace.recipe';

/** The release version (the root package.json's), which the Helm chart's appVersion names. */
export const releaseVersion = (root = REPO_ROOT): string =>
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** Every tag an image gets, the first being the one its recipe label is read from. */
export function imageTags(name: string, root = REPO_ROOT): string[] {
  return isServiceImage(name) ? [imageTag(name), `streamspace/${name}:${releaseVersion(root)}`] : [imageTag(name)];
}

/**
 * What the service images are built from, relative to the repository root: the Containerfiles COPY
 * only from these, and .dockerignore admits only these (a unit test holds the two lists together).
 */
export const SERVICE_SOURCES = [
  '.npmrc',
  'package.json',
  'package-lock.json',
  'tsconfig.base.json',
  'packages',
  'test/package.json',
  'bench/package.json',
];
/** Never part of a service image's recipe, as .dockerignore keeps them out of the context. */
const NOT_SOURCE = /(^|\/)(node_modules|dist)(\/|$)|\.tsbuildinfo$|\.test\.ts$|\.md$/;

function filesUnder(path: string, skip?: RegExp, root = path): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .map((entry) => join(path, entry))
    .filter((child) => !skip?.test(relative(root, child)))
    .flatMap((child) => filesUnder(child, skip, root))
    .sort();
}

/**
 * A hash of everything that goes into an image, so a cache keyed by it is reused exactly when the
 * recipe is unchanged: for a session image its folder and images/common; for a service image its
 * folder, .dockerignore and the sources (not node_modules, dist, tests or docs).
 */
export function recipeHash(name: string, root = REPO_ROOT): string {
  const imagesDir = join(root, 'images');
  // Session images' paths are relative to images/, as they always were, so their hashes (and the
  // archives CI keeps under them) stay valid.
  const entries = isServiceImage(name)
    ? [
        ...['.dockerignore', ...SERVICE_SOURCES].flatMap((p) => filesUnder(join(root, p), NOT_SOURCE, root)),
        ...filesUnder(join(imagesDir, name)),
      ].map((file) => [relative(root, file), file])
    : [...filesUnder(join(imagesDir, 'common')), ...filesUnder(join(imagesDir, name))].map((file) => [
        relative(imagesDir, file),
        file,
      ]);
  const hash = createHash('sha256');
  for (const [path, file] of entries) hash.update(path!).update('\0').update(readFileSync(file!)).update('\0');
  return hash.digest('hex').slice(0, 16);
}
