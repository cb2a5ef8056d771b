import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's images/ folder: Containerfiles and the shared entry point. */
export const IMAGES_DIR = fileURLToPath(new URL('../../../../images/', import.meta.url));

/** Session images, by template name; each is `streamspace/<name>:latest`, as the seeded templates expect. */
export const SESSION_IMAGES = ['xterm', 'firefox-browser', 'desktop'] as const;
export type SessionImage = (typeof SESSION_IMAGES)[number];

export const imageTag = (name: string) => `streamspace/${name}:latest`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    })
    .sort();
}

/**
 * A hash of everything that goes into an image (its folder and images/common), so a cache keyed
 * by it is reused exactly when the recipe is unchanged.
 */
export function recipeHash(name: string, imagesDir = IMAGES_DIR): string {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(join(imagesDir, 'common')), ...filesUnder(join(imagesDir, name))]) {
    hash.update(file.slice(imagesDir.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
