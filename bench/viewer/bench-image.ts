import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root, where `npx streamspace` is this checkout's CLI. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const BENCH_IMAGE = 'streamspace/viewer-bench:latest';

/**
 * `npx streamspace image build viewer-bench`: builds images/viewer-bench as every session image is
 * built, or keeps it when its recipe is unchanged (with a cache dir, loads its archive).
 * Its output goes to stderr with the bench's other progress.
 */
export async function buildBenchImage(cacheDir: string | undefined): Promise<void> {
  const args = ['streamspace', 'image', 'build', 'viewer-bench', ...(cacheDir ? ['--cache-dir', cacheDir] : [])];
  const child = spawn('npx', args, { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`streamspace image build viewer-bench exited with ${code}`);
}
