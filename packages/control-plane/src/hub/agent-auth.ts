import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Checks `Authorization: Bearer <AGENT_TOKEN>` in constant time. Both sides are hashed first so the
 * comparison never leaks the token's length either.
 */
export function agentTokenMatches(request: IncomingMessage, expected: string): boolean {
  const header = request.headers.authorization ?? '';
  const presented = /^Bearer\s+(.+)$/i.exec(header)?.[1] ?? '';
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}
