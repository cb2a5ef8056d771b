import { loadAgentConfig, startAgent } from '@streamspace/agent';
import { serveMeasurements } from '../support/ipc.js';

// Child entry: a Docker agent in its own process on the real podman, as in distributed mode
// (`streamspace agent docker`), measured over IPC. Started with fork() by viewer/main.ts.
const loaded = loadAgentConfig(process.env, { platform: 'docker' });
if (!loaded.ok) throw new Error(loaded.problems.join('; '));
const agent = await startAgent(loaded.config);
await agent.registered;
serveMeasurements({ url: loaded.config.controlPlaneUrl, detail: 'agent' }, () => agent.stop());
