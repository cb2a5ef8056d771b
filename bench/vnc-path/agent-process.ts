import { loadAgentConfig, startAgent } from '@streamspace/agent';
import { serveMeasurements } from '../support/ipc.js';
import { benchDriver, portsFromEnv } from './bench-driver.js';

// Child entry: a real agent (connection, command runner, VNC tunnels) in its own process, as in
// distributed mode, whose driver points each template at a local TCP server (bench-driver.ts).
// Started with fork() by vnc-path/main.ts.
const loaded = loadAgentConfig(process.env, { platform: 'docker' });
if (!loaded.ok) throw new Error(loaded.problems.join('; '));
const agent = await startAgent(loaded.config, { driver: benchDriver(portsFromEnv()) });
await agent.registered;
serveMeasurements({ url: loaded.config.controlPlaneUrl, detail: 'agent' }, () => agent.stop());
