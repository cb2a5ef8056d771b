import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI of this checkout: the bench image is built exactly as `npx streamspace image build` builds it. */
const CLI = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));

export const BENCH_IMAGE = 'streamspace/viewer-bench:latest';

/**
 * Builds (or, when its recipe is unchanged, keeps; with a cache dir, loads) images/viewer-bench.
 * Its output goes to stderr with the bench's other progress.
 */
export async function buildBenchImage(cacheDir: string | undefined): Promise<void> {
  const args = [CLI, 'image', 'build', 'viewer-bench', ...(cacheDir ? ['--cache-dir', cacheDir] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', process.stderr, process.stderr] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`streamspace image build viewer-bench exited with ${code}`);
}
