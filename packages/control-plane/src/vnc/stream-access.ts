import type { TokenClaims } from '../auth/tokens.js';

/**
 * Who may view a session's stream: its owner and admins. The one rule the connect endpoint and the
 * VNC proxy both apply (upstream recorded sharing but its proxy admitted only the owner).
 */
export function mayViewSession(user: Pick<TokenClaims, 'userId' | 'role'>, session: { user_id: string }): boolean {
  return user.role === 'admin' || session.user_id === user.userId;
}
