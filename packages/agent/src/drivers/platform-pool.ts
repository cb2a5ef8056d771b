import type Docker from 'dockerode';

/**
 * The default AGENT_POOL: agents whose sessions live on the same platform get the same name, so
 * they can take over each other's sessions (the sessions keep running; only their agent changes).
 */
export function kubernetesPool(namespace: string, server: string): string {
  return `kubernetes:${namespace}@${server}`;
}

/**
 * A Docker Engine's `/info` ID names the engine itself, whoever asks. podman 4.3 answers a fresh
 * random UUID on every call, so there the name is the engine's host name (as it reports it) with
 * the API address: two agents on one host using one podman socket agree, two hosts do not.
 */
export function dockerPool(first: { ID?: string; Name?: string }, second: { ID?: string }, dockerHost: string): string {
  if (first.ID && first.ID === second.ID) return `docker:${first.ID}`;
  const remote = /^(tcp|http|https):/.test(dockerHost);
  return remote ? `docker:${dockerHost}` : `docker:${first.Name ?? 'localhost'}:${dockerHost}`;
}

/** Asks the engine twice: an ID that changes between calls does not identify it. */
export async function readDockerPool(docker: Docker, dockerHost: string): Promise<string> {
  const first = (await docker.info()) as { ID?: string; Name?: string };
  const second = (await docker.info()) as { ID?: string };
  return dockerPool(first, second, dockerHost);
}
