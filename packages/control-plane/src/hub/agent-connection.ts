import type { WebSocket } from 'ws';
import {
  CloseCode,
  decodeAgentFrame,
  encodeFrame,
  type AgentMessage,
  type ControlPlaneMessage,
  type ProtocolError,
  truncateUtf8,
} from '@streamspace/protocol';
import type { AgentAuth } from './agent-identity.js';
import type { Logger } from 'pino';

export type ConnectionState = 'awaiting_register' | 'registered' | 'closed';

/** Invalid frames tolerated within STRIKE_WINDOW_MS before the connection is closed. */
export const MAX_STRIKES = 20;
const STRIKE_WINDOW_MS = 10_000;

/**
 * One agent's control socket: decodes and validates each frame, answers bad ones with an `error`,
 * and closes a connection that keeps sending garbage. Handlers get only valid, typed messages.
 */
export class AgentConnection {
  state: ConnectionState = 'awaiting_register';
  agentUuid: string | undefined;
  agentId: string | undefined;
  /** The host this agent dialled over plain ws:// when not loopback (warned about at registration). */
  insecureHost: string | undefined;
  #strikes: number[] = [];
  #processing: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    public logger: Logger,
    /** What the connection proved at its upgrade; `register` decides which agent id that allows. */
    readonly auth: AgentAuth,
    /** The address it came from (recorded on enrollment and as the agent's last address). */
    readonly address: string | null,
    onMessage: (connection: AgentConnection, message: AgentMessage) => Promise<void>,
  ) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.reject({ code: 'binary_not_allowed', message: 'the control channel carries JSON text frames only' });
        return;
      }
      const decoded = decodeAgentFrame(data as Buffer);
      if (!decoded.ok) {
        this.reject(decoded.error);
        return;
      }
      // One agent's messages are applied in the order it sent them: "starting" before "running",
      // a result before its duplicate. Handled concurrently they raced on the database's pool.
      const message = decoded.message;
      this.#processing = this.#processing.then(() =>
        onMessage(this, message).catch((error: unknown) => {
          this.logger.error({ err: error, type: message.type }, 'agent message handler failed');
          this.sendError({
            code: 'internal',
            message: `could not process ${message.type}: ${(error as Error).message}`,
          });
        }),
      );
    });
  }

  send(message: ControlPlaneMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(encodeFrame(message));
  }

  sendError(error: ProtocolError): void {
    this.send({ type: 'error', payload: error });
  }

  /** Answers a bad frame and counts it; too many in the window closes the connection. */
  reject(error: ProtocolError): void {
    this.logger.warn({ code: error.code, detail: error.message }, 'invalid frame from agent');
    this.sendError(error);
    const now = Date.now();
    this.#strikes = this.#strikes.filter((t) => now - t < STRIKE_WINDOW_MS);
    this.#strikes.push(now);
    if (this.#strikes.length > MAX_STRIKES) {
      this.close(
        CloseCode.TooManyInvalidFrames,
        `too many invalid frames (${this.#strikes.length} in ${STRIKE_WINDOW_MS / 1000}s), last: ${error.code}`,
      );
    }
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    // Close reasons are limited to 123 bytes by RFC 6455; a cut inside a character made ws throw.
    this.socket.close(code, truncateUtf8(reason, 123));
  }
}
