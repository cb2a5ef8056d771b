import { loadAgentConfig, startAgent } from '@streamspace/agent';
import { serveMeasurements } from '../support/ipc.js';

// Child entry: a real Docker agent on podman (its own process, so its RSS and CPU are its own),
// measured on request over IPC. Started with fork() by files/main.ts.
const loaded = loadAgentConfig(process.env, { platform: 'docker' });
if (!loaded.ok) throw new Error(loaded.problems.join('; '));
const agent = await startAgent(loaded.config);
await agent.registered;
serveMeasurements({ url: loaded.config.controlPlaneUrl, detail: 'docker agent' }, () => agent.stop());
