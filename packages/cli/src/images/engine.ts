import { spawn } from 'node:child_process';

/**
 * Flags every `build` gets: RUN steps reach the package mirrors through the host's network, and
 * modest ulimits, because some hosts' hard limits are below the engine's defaults and runc then
 * refuses to start the build (scripts/setup-podman.sh sets the same defaults).
 */
export const BUILD_FLAGS = ['--network', 'host', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'];

/** Runs a container-engine command, streaming its output to ours; rejects with the exit code. */
export function run(
  command: string,
  args: string[],
  options: { input?: NodeJS.ReadableStream; quiet?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!options.quiet) process.stdout.write(d);
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!options.quiet) process.stderr.write(d);
    });
    if (options.input && child.stdin) options.input.pipe(child.stdin);
    child.on('error', (error) => reject(new Error(`${command} could not run: ${error.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(
            new Error(
              `${command} ${args.slice(0, 2).join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
            ),
          ),
    );
  });
}

export async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { quiet: true });
    return true;
  } catch {
    return false;
  }
}

/** podman if installed, else docker; the same commands work on both. */
export async function findEngine(preferred?: string): Promise<string> {
  for (const engine of preferred ? [preferred] : ['podman', 'docker']) {
    if (await succeeds(engine, ['version'])) return engine;
  }
  throw new Error(
    'neither podman nor docker answers `version`; install podman (apt-get install podman runc) or Docker',
  );
}
