import { loadAgentConfig, startAgent } from '@streamspace/agent';
import { onShutdown } from '../signals.js';
import { catalogRecipes } from '../images/catalog-recipes.js';

const PLATFORMS = ['docker', 'kubernetes'] as const;
const isPlatform = (name: string | undefined): name is (typeof PLATFORMS)[number] =>
  (PLATFORMS as readonly (string | undefined)[]).includes(name);

/**
 * `streamspace agent docker|kubernetes`: a standalone agent that dials CONTROL_PLANE_URL; it
 * never listens. The command names the platform (PLATFORM in the environment may override it).
 */
export async function runAgent(platform: string | undefined): Promise<void> {
  if (!isPlatform(platform)) {
    process.stderr.write(
      `streamspace agent: ${platform === undefined ? 'name a platform' : `unknown platform "${platform}"`}; available: ${PLATFORMS.join(', ')}\n`,
    );
    process.exit(2);
  }
  const loaded = loadAgentConfig(process.env, { platform });
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${problem}\n`);
    const section = platform === 'kubernetes' ? 'Kubernetes agent' : 'Run an agent on another host';
    process.stderr.write(`streamspace agent: configuration invalid; see "${section}" in README.md\n`);
    process.exit(1);
  }
  let agent;
  try {
    agent = await startAgent(loaded.config, { onFatal: () => process.exit(1), imageRecipes: catalogRecipes() });
  } catch (error) {
    process.stderr.write(`streamspace agent: could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  onShutdown(
    () => agent.stop(),
    (m) => agent.logger.info(m),
  );
}
