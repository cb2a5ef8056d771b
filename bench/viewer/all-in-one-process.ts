import { loadAgentConfig, startAgent } from '@streamspace/agent';
import { loadConfig, startControlPlane } from '@streamspace/control-plane';
import { serveMeasurements } from '../support/ipc.js';

// Child entry: `streamspace up` as packages/cli/src/commands/up.ts runs it: a control plane and, in
// the same process, a Docker agent on the real podman, given the control plane's in-process tunnels.
// Measured over IPC like every bench server; its CPU is the control plane's and the agent's together.
const loaded = loadConfig(process.env);
if (!loaded.ok) throw new Error(`control-plane config invalid: ${loaded.problems.join('; ')}`);
const cp = await startControlPlane(loaded.config);
const agentConfig = loadAgentConfig(
  { AGENT_ID: 'bench-viewer', DOCKER_HOST: process.env.DOCKER_HOST, LOG_LEVEL: loaded.config.logLevel },
  {
    platform: 'docker',
    allInOne: cp.inProcessAgent,
  },
);
if (!agentConfig.ok) throw new Error(agentConfig.problems.join('; '));
const agent = await startAgent(agentConfig.config, { inProcessTunnels: cp.inProcessTunnels });
await agent.registered;
(globalThis as { gc?: () => void }).gc?.();
serveMeasurements({ url: cp.url, detail: 'control plane + in-process Docker agent' }, async () => {
  await agent.stop();
  await cp.stop();
});
