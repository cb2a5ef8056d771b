import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageRecipe, ImageRecipes } from '@streamspace/agent';
import { IMAGES_DIR, RECIPE_LABEL, SESSION_IMAGES, imageTag, recipeHash } from './catalog.js';
import { ensureBaseImage } from './base-image.js';
import { findEngine } from './engine.js';

/** `streamspace/xterm:latest`, as templates and podman (`localhost/…`) name it, → `xterm`. */
export function catalogImageName(image: string): string | undefined {
  const bare = image.replace(/^(localhost|docker\.io)\//, '');
  return SESSION_IMAGES.find((name) => bare === imageTag(name) || bare === `streamspace/${name}`);
}

/**
 * The bundled session images' recipes, for the agent's on-demand builds (IMAGE_BUILD_ON_DEMAND):
 * the same Containerfile, context, base and recipe label as `streamspace image build`, so an image
 * built on demand counts as up to date there. Undefined without the repository's images/ folder
 * (an installed CLI has none), and for any image outside the catalog.
 */
export function catalogRecipes(imagesDir = IMAGES_DIR): ImageRecipes | undefined {
  if (!existsSync(join(imagesDir, 'common'))) return undefined;
  return {
    async recipeFor(image: string): Promise<ImageRecipe | undefined> {
      const name = catalogImageName(image);
      if (!name || !existsSync(join(imagesDir, name, 'Containerfile'))) return undefined;
      const engine = await findEngine();
      const base = await ensureBaseImage(engine, (line) => process.stdout.write(`streamspace: ${line}\n`));
      return {
        contextDir: imagesDir,
        containerfile: `${name}/Containerfile`,
        buildArgs: { BASE: base },
        labels: { [RECIPE_LABEL]: recipeHash(name) },
        manualCommand: `npx streamspace image build ${name}`,
      };
    },
  };
}
