import { loadAgentConfig, startAgent, type RunningAgent } from '@streamspace/agent';
import type { ControlPlane } from '@streamspace/control-plane';
import { onShutdown } from '../signals.js';
import { catalogRecipes } from '../images/catalog-recipes.js';
import { startServer } from './server.js';

const RETRY_AGENT_MS = 5000;

/**
 * `streamspace up` (what `npm start` runs): the control plane and, in the same process, a Docker
 * agent on the local Docker or podman socket. Without a socket the control plane still runs; the
 * agent says once how to start podman's API and joins as soon as it answers.
 */
export async function runUp(): Promise<void> {
  const controlPlane = await startServer('up');
  let agent: RunningAgent | undefined;
  let retry: NodeJS.Timeout | undefined;
  let warned = false;
  let stopping = false;
  // Installed before the agent starts: a SIGTERM during its start must still stop cleanly.
  onShutdown(
    async () => {
      stopping = true;
      clearTimeout(retry);
      await agent?.stop();
      await controlPlane.stop();
    },
    (m) => controlPlane.logger.info(m),
  );

  // IMAGE_BUILD_ON_DEMAND defaults to true here (allInOne): a newcomer's first session builds its image.
  const loaded = loadAgentConfig(process.env, {
    platform: 'docker',
    allInOne: controlPlane.inProcessAgent,
  });
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${problem}\n`);
    process.stderr.write('streamspace up: the in-process agent is not started; fix the variables above\n');
  } else {
    const config = loaded.config;
    const tryStart = async () => {
      if (stopping) return;
      try {
        // Its VNC streams are handed to the control plane in this process: one hop, no tunnel dial.
        agent = await startAgent(config, {
          imageRecipes: catalogRecipes(),
          inProcessTunnels: controlPlane.inProcessTunnels,
        });
        if (stopping) await agent.stop();
        if (warned) process.stdout.write(`Docker agent ${config.agentId} started\n`);
      } catch (error) {
        if (!warned) {
          process.stderr.write(
            `\nNo sessions can start yet: ${(error as Error).message}\n(retrying every ${RETRY_AGENT_MS / 1000}s)\n\n`,
          );
          warned = true;
        }
        retry = setTimeout(() => void tryStart(), RETRY_AGENT_MS);
      }
    };
    await tryStart();
  }
}

export type { ControlPlane };
