import { createHash } from 'node:crypto';

/**
 * The agent's VNC data connection opens with a WebSocket handshake, so load balancers and ingress
 * controllers pass it like any WebSocket, and then carries the VNC bytes raw, unframed: this
 * subprotocol says so. Without frames neither end masks, unmasks or re-frames, and the control
 * plane frames each chunk once, for the viewer.
 */
export const RAW_TUNNEL_PROTOCOL = 'streamspace-raw-tunnel.v1';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2). */
export function websocketAccept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}
