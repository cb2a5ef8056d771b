import type { Readable, Writable } from 'node:stream';
import type { Platform, Progress, SessionTemplate } from '@streamspace/protocol';

/** Everything a driver needs to start a session; sent by the control plane in start_session. */
export interface SessionSpec {
  sessionId: string;
  user: string;
  /** Checked against the protocol's StartSession schema before it reaches a driver. */
  template: SessionTemplate;
}

export interface VncEndpoint {
  host: string;
  port: number;
  /** Set when the session's VNC server asks for VNC Authentication; the agent answers it, viewers never see it. */
  password?: string;
}

/** A session as the platform has it: only what can be read back from the platform itself. */
export interface DriverSession {
  sessionId: string;
  /** running: the container/pod runs; stopped: it exists but does not run. */
  state: 'running' | 'stopped';
  cpu: number;
  memoryGb: number;
}

/** A process run in a session's container as the session user (files/file-stream.ts). */
export interface SessionExec {
  /** Piped to the process's stdin; when it ends or closes, the process sees end of input. */
  stdin?: Readable;
  /** Receives the process's stdout, with backpressure. */
  stdout: Writable;
  /** Aborting ends the process's streams (it then sees end of input and a closed stdout). */
  signal: AbortSignal;
}

/** How a SessionExec ended: the exit code (-1 when unknown: aborted) and the start of stderr. */
export interface SessionExecResult {
  exitCode: number;
  stderr: string;
}

export type ProgressReporter = (progress: Progress) => void;

/**
 * One interface, one implementation per platform (drivers/docker, drivers/kubernetes), one shared
 * contract suite. Every method is idempotent: starting a running session returns its endpoint,
 * stopping a stopped one succeeds, deleting a missing one succeeds. A failure throws DriverError;
 * nothing logs and returns as if it had worked.
 */
export interface SessionDriver {
  readonly platform: Platform;
  /** Creates (or reuses) and starts the session; resolves once VNC answers with an RFB banner. */
  start(spec: SessionSpec, progress: ProgressReporter): Promise<VncEndpoint>;
  stop(sessionId: string): Promise<void>;
  /** Stops the session keeping its home; resume starts it again. */
  hibernate(sessionId: string): Promise<void>;
  resume(sessionId: string, progress: ProgressReporter): Promise<VncEndpoint>;
  /** Removes the session and its home. */
  delete(sessionId: string): Promise<void>;
  /**
   * The sessions on the platform this agent can see: its pool's, whichever agent of the pool
   * created them (the control plane, not the platform, says which agent owns each).
   */
  list(): Promise<DriverSession[]>;
  /**
   * Takes over a session another agent of the pool started, as it is: the container or pod keeps
   * running, never restarted. Resolves with its VNC endpoint once VNC answers; throws DriverError
   * `not_found` when the session is gone or no longer running (a restart would lose the user's
   * desktop, so that is a failure to report, not something to repair here). From then on the
   * session's unexpected exit is reported by this agent.
   */
  adopt(sessionId: string): Promise<VncEndpoint>;
  vncEndpoint(sessionId: string): Promise<VncEndpoint>;
  /**
   * Runs `command` in the running session's container as the session user (uid 1000), never root,
   * streaming stdin and stdout. Platforms without it cannot move files in or out of sessions.
   */
  exec?(sessionId: string, command: string[], io: SessionExec): Promise<SessionExecResult>;
  /** Calls back when a running session ends without being asked to (crash, OOM, kill). */
  onUnexpectedExit(listener: (sessionId: string, reason: string) => void): void;
  close(): Promise<void>;
}

export type DriverErrorCode =
  'not_found' | 'image_not_found' | 'start_failed' | 'platform_unavailable' | 'platform_error';

export class DriverError extends Error {
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DriverError';
  }
}
