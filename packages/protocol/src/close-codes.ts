/**
 * WebSocket close codes of the agent channel. 4000-4999 are reserved for applications by RFC 6455;
 * each code has one meaning so an agent (or an operator reading its log) knows what to fix.
 */
export const CloseCode = {
  /** The control plane is shutting down; reconnect (to another replica). */
  GoingAway: 1001,
  /** A frame exceeded HARD_MAX_FRAME_BYTES. */
  MessageTooBig: 1009,
  /** The agent sent too many frames that failed validation. */
  TooManyInvalidFrames: 4400,
  /** `register` did not arrive within the registration window. */
  RegisterTimeout: 4408,
  /** The agent id is not valid (charset or length); the reason says what is wrong. */
  InvalidAgentId: 4422,
  /** The connection does not hold the credential of the agent id it registered as (or, for an id
   * not enrolled yet, the join token or a usable credential is missing). */
  IdentityRefused: 4401,
  /** An admin revoked this agent: it is disconnected and cannot register again under this id. */
  Revoked: 4403,
  /** Another connection registered with the same agent_id (holding its credential); this one is stale. */
  Replaced: 4409,
  /** The agent speaks a protocol version this control plane does not. */
  UnsupportedVersion: 4426,
  /** The agent stopped sending heartbeats. */
  HeartbeatTimeout: 4504,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
