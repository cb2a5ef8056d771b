import { networkInterfaces } from 'node:os';

/**
 * Where other replicas reach this one when REPLICA_URL is not set: the loopback address when we
 * listen only there, else the first non-internal IPv4 address (a pod's or container's own address).
 */
export function defaultReplicaUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::') {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    return `http://${address ?? '127.0.0.1'}:${port}`;
  }
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
