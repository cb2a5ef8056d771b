import type { Duplex } from 'node:stream';

/**
 * One VNC stream handed over inside one process: when the agent runs in the control plane's
 * process (`streamspace up`), the agent connects to the session's VNC server and does the VNC
 * authentication as always, then gives the socket itself to the control plane, which splices it to
 * the viewer's WebSocket. One hop: no tunnel WebSocket over loopback, no second copy of each byte.
 */
export interface InProcessTunnel {
  tunnelId: string;
  /** The open_tunnel command's token and the agent's credential: checked as for a dialled tunnel. */
  token: string;
  credential: string;
  /** The session's VNC server, past the agent's VNC authentication; owned by the control plane once joined. */
  vnc: Duplex;
  /** What the server sent past the authentication, for the viewer. */
  fromServer: Buffer;
  /**
   * The viewer's side of the handshake when the agent authenticated for it (the agent offers it
   * security type None): run on `viewer`, starting with the viewer bytes in `head`; returns the
   * viewer's bytes past the handshake. Absent: the server's own handshake reaches the viewer.
   */
  greetViewer?: (viewer: Duplex, head: Buffer) => Promise<Buffer>;
}

/** The control plane's end of the one-hop path, given to an agent started in its process. */
export interface InProcessTunnels {
  /**
   * Joins `tunnel.vnc` to the viewer waiting on `tunnel.tunnelId`. Resolves true once joined,
   * false when that viewer is not held by this process (another replica: the agent dials as usual);
   * rejects with the reason when the tunnel is refused.
   */
  join(tunnel: InProcessTunnel): Promise<boolean>;
}
