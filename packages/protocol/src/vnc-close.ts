/**
 * Close codes of a viewer's WebSocket at /vnc/{session_id}: each with the reason text the UI shows.
 * 4000-4999 are application codes (RFC 6455).
 */
export const VncClose = {
  IdleTimeout: { code: 4000, reason: 'idle timeout' },
  TicketInvalid: { code: 4401, reason: 'ticket invalid, expired or already used' },
  Forbidden: { code: 4403, reason: 'not allowed to view this session' },
  SessionNotFound: { code: 4404, reason: 'session not found' },
  SessionNotRunning: { code: 4409, reason: 'session is not running' },
  SessionStopped: { code: 4410, reason: 'session stopped' },
  AgentOffline: { code: 4503, reason: 'agent offline' },
  TunnelTimeout: { code: 4504, reason: 'agent did not open the stream in time' },
  StreamEnded: { code: 4505, reason: 'stream closed by the agent' },
  ShuttingDown: { code: 1001, reason: 'control plane shutting down' },
} as const;
export type VncCloseName = keyof typeof VncClose;
