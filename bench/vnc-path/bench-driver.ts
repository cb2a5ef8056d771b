import type { SessionDriver } from '@streamspace/agent';

/**
 * A driver that, instead of containers, points each template at a local TCP server: the platform is
 * not what this bench measures, the byte path is. `ports`: template name → port.
 */
export function benchDriver(ports: Record<string, number>): SessionDriver {
  const templates = new Map<string, string>();
  const endpoint = (sessionId: string) => ({ host: '127.0.0.1', port: ports[templates.get(sessionId) ?? '']! });
  return {
    platform: 'docker',
    async start(spec) {
      templates.set(spec.sessionId, spec.template.name);
      return endpoint(spec.sessionId);
    },
    vncEndpoint: async (sessionId) => endpoint(sessionId),
    resume: async (sessionId) => endpoint(sessionId),
    adopt: async (sessionId) => endpoint(sessionId),
    stop: async () => undefined,
    hibernate: async () => undefined,
    delete: async (sessionId) => void templates.delete(sessionId),
    list: async () =>
      [...templates.keys()].map((sessionId) => ({ sessionId, state: 'running' as const, cpu: 0, memoryGb: 0 })),
    onUnexpectedExit: () => undefined,
    close: async () => undefined,
  };
}

/** The templates' ports, as the bench passes them to its children (BENCH_PORTS, JSON). */
export const portsFromEnv = (): Record<string, number> =>
  JSON.parse(process.env.BENCH_PORTS ?? '{}') as Record<string, number>;
