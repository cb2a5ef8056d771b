import { loadAgentConfig, startAgent } from '@streamspace/agent';
import { onShutdown } from '../signals.js';

/** `streamspace agent docker`: a standalone agent that dials CONTROL_PLANE_URL; it never listens. */
export async function runAgent(platform: string | undefined): Promise<void> {
  if (platform !== 'docker') {
    process.stderr.write(
      `streamspace agent: ${platform === undefined ? 'name a platform' : `unknown platform "${platform}"`}; available: docker\n`,
    );
    process.exit(2);
  }
  const loaded = loadAgentConfig(process.env, { platform });
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${problem}\n`);
    process.stderr.write('streamspace agent: configuration invalid; see "Run an agent on another host" in README.md\n');
    process.exit(1);
  }
  let agent;
  try {
    agent = await startAgent(loaded.config, { onFatal: () => process.exit(1) });
  } catch (error) {
    process.stderr.write(`streamspace agent: could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  onShutdown(
    () => agent.stop(),
    (m) => agent.logger.info(m),
  );
}
