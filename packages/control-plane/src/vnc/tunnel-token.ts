import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one-time credential an agent presents when it dials a tunnel back. Derived from the tunnel id
 * with the replicas' shared secret, so the token is never stored (commands live in the database)
 * and whichever replica the agent's dial lands on can check it.
 */
export function tunnelToken(secret: string, tunnelId: string): string {
  return createHmac('sha256', secret).update(`vnc-tunnel\0${tunnelId}`).digest('base64url');
}

export function tunnelTokenMatches(secret: string, tunnelId: string, presented: string): boolean {
  const expected = Buffer.from(tunnelToken(secret, tunnelId));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The hub's completePayload: open_tunnel commands get their token on the way to the agent. */
export function addTunnelToken(secret: string) {
  return (type: string, payload: Record<string, unknown>): Record<string, unknown> =>
    type === 'open_tunnel' && typeof payload.tunnel_id === 'string'
      ? { ...payload, token: tunnelToken(secret, payload.tunnel_id) }
      : payload;
}
