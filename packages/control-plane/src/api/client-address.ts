import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** The address of the client behind a request, as the audit log and throttling should see it. */
export type ClientAddress = (request: IncomingMessage) => string | null;

/**
 * `request.ip` for raw requests (WebSocket upgrades never reach Fastify's request object): only the
 * TRUST_PROXY addresses' X-Forwarded-For counts, exactly as Fastify computes it with the same list,
 * so a viewer or agent cannot pin its connection on someone else's address.
 */
export function clientAddress(trustProxy: readonly string[]): ClientAddress {
  if (trustProxy.length === 0) return (request) => request.socket.remoteAddress ?? null;
  const trusted = proxyAddr.compile([...trustProxy]);
  return (request) => {
    const chain = proxyAddr.all(request, trusted);
    return chain[chain.length - 1] ?? null;
  };
}
