/**
 * Close codes of a viewer's WebSocket at /vnc/{session_id}: each with the reason text the UI shows.
 * 4000-4999 are application codes (RFC 6455). `retry` says whether the stream can come back by
 * itself: the agent went away (another agent of its pool takes the session over within the
 * heartbeat timeout), the tunnel was slow, the control plane restarted. A viewer reconnects after
 * those with a new ticket; after the others (stopped, not allowed, gone) reconnecting cannot help.
 */
export const VncClose = {
  IdleTimeout: { code: 4000, reason: 'idle timeout', retry: false },
  TicketInvalid: { code: 4401, reason: 'ticket invalid, expired or already used', retry: false },
  Forbidden: { code: 4403, reason: 'not allowed to view this session', retry: false },
  LoginEnded: { code: 4440, reason: 'login revoked or expired; log in again', retry: false },
  SessionNotFound: { code: 4404, reason: 'session not found', retry: false },
  SessionNotRunning: { code: 4409, reason: 'session is not running', retry: false },
  SessionStopped: { code: 4410, reason: 'session stopped', retry: false },
  AgentOffline: { code: 4503, reason: 'agent offline', retry: true },
  TunnelTimeout: { code: 4504, reason: 'agent did not open the stream in time', retry: true },
  StreamEnded: { code: 4505, reason: 'stream closed by the agent', retry: true },
  ShuttingDown: { code: 1001, reason: 'control plane shutting down', retry: true },
  /** closeViewers: a share revoked or expired, a session hibernated; the reason says which. */
  ViewerClosed: { code: 4411, reason: 'closed by the control plane', retry: false },
  /** The viewer sent bytes that are not RFB the proxy understands; they are never forwarded. */
  ProtocolError: { code: 4400, reason: 'RFB protocol error from the viewer', retry: false },
} as const;
export type VncCloseName = keyof typeof VncClose;

/** 1006: the connection dropped without a close frame (a replica or the network died). */
const ABNORMAL_CLOSURE = 1006;

/** Whether a viewer should reconnect by itself after its stream closed with `code`. */
export function vncCloseIsRetryable(code: number): boolean {
  if (code === ABNORMAL_CLOSURE) return true;
  return Object.values(VncClose).some((close) => close.code === code && close.retry);
}
