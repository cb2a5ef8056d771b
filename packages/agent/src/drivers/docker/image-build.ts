import { readdirSync } from 'node:fs';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { MAX_REASON_LENGTH, clipReason } from '@streamspace/protocol';
import { DriverError, type ProgressReporter } from '../session-driver.js';

/** How to build one image on the engine: a context folder and the Containerfile in it. */
export interface ImageRecipe {
  /** The build context, a folder on the agent's host. */
  contextDir: string;
  /** The Containerfile, relative to contextDir. */
  containerfile: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** The command that builds the image by hand, named when the build fails. */
  manualCommand: string;
}

/**
 * The images an agent may build when a session needs one that is missing: the bundled catalog's,
 * which `streamspace up` supplies from the repository checkout (the agent package knows no catalog;
 * the CLI depends on it, not the reverse). Undefined for any other image.
 */
export interface ImageRecipes {
  recipeFor(image: string): Promise<ImageRecipe | undefined>;
}

/**
 * The step of a build stream line: Docker's classic builder writes "Step 3/9 : RUN …", podman's
 * compat API (and its CLI) "STEP 3/9: RUN …".
 */
export function parseBuildStep(line: string): { step: number; total: number } | undefined {
  const match = /^\s*step (\d+)\/(\d+)\s*:/i.exec(line);
  return match ? { step: Number(match[1]), total: Number(match[2]) } : undefined;
}

const ERROR_LINES = 8;

interface Build {
  done: Promise<void>;
  listeners: Set<ProgressReporter>;
}

/**
 * Builds missing catalog images on the agent's engine, one build per image however many sessions
 * wait for it; each waiting session sees the build's steps as its start-up progress.
 */
export class ImageBuilds {
  readonly #builds = new Map<string, Build>();

  constructor(
    private readonly docker: Docker,
    private readonly recipes: ImageRecipes,
    private readonly logger: Logger,
  ) {}

  /** Builds `image` (or joins its build under way); false when it is not an image this agent builds. */
  async build(image: string, progress: ProgressReporter): Promise<boolean> {
    let build = this.#builds.get(image);
    if (!build) {
      const recipe = await this.recipes.recipeFor(image).catch((error: unknown) => {
        // E.g. no base image and no way to make one: the session fails saying so.
        throw new DriverError(
          'image_not_found',
          clipReason(`image ${image} is missing and its build could not be prepared: ${(error as Error).message}`),
          { cause: error },
        );
      });
      if (!recipe) return false;
      // Another session may have started the same build while the recipe was being looked up.
      build = this.#builds.get(image);
      if (!build) {
        const listeners = new Set<ProgressReporter>();
        const started = { listeners, done: this.#run(image, recipe, listeners) };
        build = started;
        this.#builds.set(image, started);
        void started.done.then(
          () => this.#builds.delete(image),
          () => this.#builds.delete(image),
        );
      }
    }
    build.listeners.add(progress);
    progress({ step: 'image', message: `building image ${image}` });
    try {
      await build.done;
    } finally {
      build.listeners.delete(progress);
    }
    return true;
  }

  async #run(image: string, recipe: ImageRecipe, listeners: Set<ProgressReporter>): Promise<void> {
    const report = (message: string, step?: { step: number; total: number }) => {
      for (const listener of listeners)
        listener({ step: 'image', message, ...(step ? { current: step.step, total: step.total } : {}) });
    };
    const started = Date.now();
    this.logger.info({ image }, `building missing image ${image}`);
    const output: string[] = [];
    let failure: string | undefined;
    try {
      const stream = await this.docker.buildImage(
        { context: recipe.contextDir, src: readdirSync(recipe.contextDir) },
        {
          t: image,
          dockerfile: recipe.containerfile,
          buildargs: recipe.buildArgs ?? {},
          labels: recipe.labels ?? {},
          // As `streamspace image build`: RUN steps reach the package mirrors through the host's network.
          networkmode: 'host',
        },
      );
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (error) => (error ? reject(error as Error) : resolve()),
          (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
            if (event.error || event.errorDetail) failure = event.errorDetail?.message ?? event.error;
            for (const line of (event.stream ?? '').split('\n')) {
              if (!line.trim()) continue;
              output.push(line);
              if (output.length > 50) output.shift();
              const step = parseBuildStep(line);
              if (step) report(`building image ${image}: step ${step.step}/${step.total}`, step);
            }
          },
        );
      });
      if (failure) throw new Error(failure);
    } catch (error) {
      const lines = [...output.slice(-ERROR_LINES), failure ?? (error as Error).message].join('\n');
      this.logger.error({ image, err: error }, `building image ${image} failed`);
      const head = `image ${image} is missing and building it failed; build it by hand with \`${recipe.manualCommand}\`. Last lines of the build:\n`;
      // The error is at the end of the build's output: keep the end within the protocol's limit.
      const room = MAX_REASON_LENGTH - head.length - 1;
      const tail = lines.length > room ? `…${lines.slice(lines.length - room + 1)}` : lines;
      throw new DriverError('image_not_found', clipReason(head + tail), { cause: error });
    }
    this.logger.info({ image, seconds: (Date.now() - started) / 1000 }, `built image ${image}`);
    report(`built image ${image}`);
  }
}
