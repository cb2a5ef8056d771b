import { loadAgentConfig, startAgent } from '@streamspace/agent';
import { loadConfig, startControlPlane } from '@streamspace/control-plane';
import { serveMeasurements } from '../support/ipc.js';
import { benchDriver, portsFromEnv } from './bench-driver.js';

// Child entry: what `streamspace up` runs (packages/cli/src/commands/up.ts): a control plane and,
// in the same process, an agent given the control plane's in-process tunnels, so each VNC stream
// takes one hop. The agent's driver points each template at a local TCP server (bench-driver.ts).
const loaded = loadConfig(process.env);
if (!loaded.ok) throw new Error(`control-plane config invalid: ${loaded.problems.join('; ')}`);
const cp = await startControlPlane(loaded.config);
const agentConfig = loadAgentConfig(
  { AGENT_ID: 'bench-all-in-one', LOG_LEVEL: loaded.config.logLevel },
  {
    platform: 'docker',
    allInOne: cp.inProcessAgent,
  },
);
if (!agentConfig.ok) throw new Error(agentConfig.problems.join('; '));
const agent = await startAgent(agentConfig.config, {
  driver: benchDriver(portsFromEnv()),
  inProcessTunnels: cp.inProcessTunnels,
});
await agent.registered;
// See control-plane-process.ts: start-up garbage is collected before the first window.
(globalThis as { gc?: () => void }).gc?.();
serveMeasurements(
  { url: cp.url, detail: 'control plane + in-process agent' },
  async () => {
    await agent.stop();
    await cp.stop();
  },
  () => cp.database.engineMemoryBytes() ?? 0,
);
