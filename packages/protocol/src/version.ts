/** Bumped when a message changes incompatibly; both ends refuse a frame whose `v` differs. */
export const PROTOCOL_VERSION = 1;

/**
 * Frames above this size get an `error` and count as garbage. 1 MiB holds a `register` listing
 * thousands of sessions; bulk VNC bytes never travel on the control channel.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Frames above this are refused by the WebSocket layer itself (close 1009) before being buffered. */
export const HARD_MAX_FRAME_BYTES = 4 * MAX_FRAME_BYTES;
