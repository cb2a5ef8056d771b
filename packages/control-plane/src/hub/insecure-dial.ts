import type { IncomingMessage } from 'node:http';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?|\[?::ffff:127(\.\d{1,3}){3}\]?)$/i;

/**
 * The host an agent dialled over plain ws:// when it is not a loopback address, else undefined.
 * Over plain WebSocket the agent's token and every command (VNC tunnel tokens included) cross the
 * network readable by anyone on the path. TLS terminated in front of the control plane (an ingress)
 * shows as X-Forwarded-Proto: https.
 */
export function insecureDialHost(request: Pick<IncomingMessage, 'headers' | 'socket'>): string | undefined {
  const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
  const forwarded = String(request.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]!
    .trim()
    .toLowerCase();
  if (encrypted || forwarded === 'https' || forwarded === 'wss') return undefined;
  const host = request.headers.host ?? '';
  const name = host.replace(/:\d+$/, '');
  return name && !LOOPBACK.test(name) ? host : undefined;
}
