import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The tunnel HMAC key, derived from JWT_SECRET with HKDF-SHA256 under its own label: one secret to
 * configure, but a tunnel token and a login token are never made with the same key, so neither can
 * be turned into the other, and each use can be rotated to a new label on its own.
 */
export function deriveTunnelKey(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, 'streamspace', 'vnc-tunnel-token v1', 32));
}

/**
 * The one-time credential an agent presents when it dials a tunnel back. Derived from the tunnel id
 * and the uuid of the agent it is sent to, with the replicas' shared secret, so the token is never
 * stored (commands live in the database), whichever replica the agent's dial lands on can check it,
 * and it admits only a dial for a session of the agent that received it.
 */
export function tunnelToken(secret: string | Buffer, tunnelId: string, agentUuid: string): string {
  return createHmac('sha256', secret).update(`vnc-tunnel\0${tunnelId}\0${agentUuid}`).digest('base64url');
}

/** `agentUuid`: the agent the tunnel's session is assigned to. */
export function tunnelTokenMatches(
  secret: string | Buffer,
  tunnelId: string,
  agentUuid: string,
  presented: string,
): boolean {
  const expected = Buffer.from(tunnelToken(secret, tunnelId, agentUuid));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The hub's completePayload: open_tunnel commands get their token on the way to the agent. */
export function addTunnelToken(secret: string | Buffer) {
  return (type: string, payload: Record<string, unknown>, agentUuid: string): Record<string, unknown> =>
    type === 'open_tunnel' && typeof payload.tunnel_id === 'string'
      ? { ...payload, token: tunnelToken(secret, payload.tunnel_id, agentUuid) }
      : payload;
}
