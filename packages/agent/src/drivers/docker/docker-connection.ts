import { existsSync } from 'node:fs';
import Docker from 'dockerode';
import { DriverError } from '../session-driver.js';

/** Podman's rootful API as started by scripts/setup-podman.sh and the README. */
export const STREAMSPACE_PODMAN_SOCKET = '/run/streamspace-podman.sock';

export function candidateSockets(env: { XDG_RUNTIME_DIR?: string | undefined } = process.env): string[] {
  return [
    '/var/run/docker.sock',
    '/run/podman/podman.sock',
    STREAMSPACE_PODMAN_SOCKET,
    ...(env.XDG_RUNTIME_DIR ? [`${env.XDG_RUNTIME_DIR}/podman/podman.sock`] : []),
  ];
}

function clientFor(dockerHost: string): Docker {
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' || url.protocol === 'http:') {
    return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
  }
  throw new DriverError(
    'platform_unavailable',
    `DOCKER_HOST: unsupported scheme ${url.protocol}; use unix:// or tcp://`,
  );
}

/**
 * The Docker Engine or podman API to use: DOCKER_HOST if set, else the first usual socket that
 * answers a ping. When none does, the error gives the one command that starts podman's API.
 */
export async function connectDocker(
  dockerHost: string | undefined,
): Promise<{ docker: Docker; endpoint: string; engine: string }> {
  const candidates = dockerHost
    ? [dockerHost]
    : candidateSockets()
        .filter((path) => existsSync(path))
        .map((p) => `unix://${p}`);
  const tried: string[] = [];
  for (const endpoint of candidates) {
    const docker = clientFor(endpoint);
    try {
      await docker.ping();
      const version = await docker.version();
      const engine = version.Components?.some((c) => c.Name.toLowerCase().includes('podman')) ? 'podman' : 'docker';
      return { docker, endpoint, engine: `${engine} ${version.Version}` };
    } catch (error) {
      tried.push(`${endpoint} (${(error as Error).message})`);
    }
  }
  const where = dockerHost ? `DOCKER_HOST=${dockerHost}` : `any of ${candidateSockets().join(', ')}`;
  throw new DriverError(
    'platform_unavailable',
    `No Docker or podman API answered at ${where}${tried.length ? `; tried ${tried.join('; ')}` : ''}. ` +
      `Start podman's with: podman system service --time=0 unix://${STREAMSPACE_PODMAN_SOCKET} & ` +
      `(or set DOCKER_HOST to your engine's socket)`,
  );
}
