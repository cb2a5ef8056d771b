import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { firstFramebufferUpdate } from '@streamspace/test/support/rfb-client';

const run = promisify(execFile);

/**
 * The baseline: `podman run` of the same image on the same network, then a VNC client straight at
 * the container, timed to the first FramebufferUpdate. What a hand-run container costs.
 */
export async function timeDirectPodman(image: string, network: string): Promise<number> {
  const started = performance.now();
  const { stdout } = await run('podman', ['run', '-d', '--rm', '--network', network, '--user', '1000:1000', image]);
  const id = stdout.trim();
  try {
    const { stdout: ip } = await run('podman', [
      'inspect',
      '--format',
      `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
      id,
    ]);
    await retryUntilAnswering(() => firstFramebufferUpdate(ip.trim(), 5900, 2000), 15_000);
    return performance.now() - started;
  } finally {
    await run('podman', ['rm', '-f', '-t', '0', id]).catch(() => undefined);
  }
}

export async function retryUntilAnswering<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
