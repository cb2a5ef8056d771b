import { loadAgentConfig, startAgent, type SessionDriver } from '@streamspace/agent';
import { serveMeasurements } from '../support/ipc.js';

// Child entry: a real agent (connection, command runner, VNC tunnels) whose driver, instead of
// containers, points each template at a local TCP server: the platform is not what this bench
// measures, the byte path is. Started with fork() by vnc-path/main.ts.
const ports: Record<string, number> = {
  'bench-source': Number(process.env.BENCH_SOURCE_PORT),
  'bench-echo': Number(process.env.BENCH_ECHO_PORT),
};
const templates = new Map<string, string>();

const driver: SessionDriver = {
  platform: 'docker',
  async start(spec) {
    templates.set(spec.sessionId, spec.template.name);
    return { host: '127.0.0.1', port: ports[spec.template.name]! };
  },
  async vncEndpoint(sessionId) {
    return { host: '127.0.0.1', port: ports[templates.get(sessionId) ?? '']! };
  },
  async resume(sessionId) {
    return this.vncEndpoint(sessionId);
  },
  async adopt(sessionId) {
    return this.vncEndpoint(sessionId);
  },
  stop: async () => undefined,
  hibernate: async () => undefined,
  delete: async (sessionId) => void templates.delete(sessionId),
  list: async () =>
    [...templates.keys()].map((sessionId) => ({ sessionId, state: 'running' as const, cpu: 0, memoryGb: 0 })),
  onUnexpectedExit: () => undefined,
  close: async () => undefined,
};

const loaded = loadAgentConfig(process.env, { platform: 'docker' });
if (!loaded.ok) throw new Error(loaded.problems.join('; '));
const agent = await startAgent(loaded.config, { driver });
await agent.registered;
serveMeasurements({ url: loaded.config.controlPlaneUrl, detail: 'agent' }, () => agent.stop());
