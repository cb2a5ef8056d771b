import { Writable, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { SESSION_HOME } from '@streamspace/protocol';
import { DriverError, type SessionExec, type SessionExecResult } from '../session-driver.js';
import { SESSION_UID } from './container-spec.js';
import { containerName } from './labels.js';

/** Enough of stderr to explain a failure; the rest is dropped, not buffered. */
const STDERR_KEEP = 4096;

/**
 * Splits Docker's multiplexed exec output (8-byte headers: stream, 0, 0, 0, length) into stdout,
 * written on with backpressure (the callback waits for `stdout` to take the bytes), and stderr,
 * of which the first STDERR_KEEP bytes are kept. A frame's payload is passed on as it arrives,
 * never gathered first: engines send frames far larger than a socket read, and gathering them
 * would copy each one over and over.
 */
export class ExecDemuxer extends Writable {
  #header = Buffer.alloc(0);
  /** The current frame's stream (1 stdout, 2 stderr) and the payload bytes still to come. */
  #stream = 0;
  #remaining = 0;
  #stderr = '';

  constructor(private readonly stdout: Writable) {
    super();
  }

  get stderr() {
    return this.#stderr;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    let wait = false;
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining === 0) {
        const need = 8 - this.#header.length;
        this.#header = Buffer.concat([this.#header, chunk.subarray(at, at + need)]);
        at += Math.min(need, chunk.length - at);
        if (this.#header.length < 8) break;
        this.#stream = this.#header[0]!;
        this.#remaining = this.#header.readUInt32BE(4);
        this.#header = Buffer.alloc(0);
        continue;
      }
      const payload = chunk.subarray(at, at + this.#remaining);
      at += payload.length;
      this.#remaining -= payload.length;
      if (this.#stream === 2) {
        if (this.#stderr.length < STDERR_KEEP) this.#stderr += payload.toString('utf8').slice(0, STDERR_KEEP);
      } else if (!this.stdout.write(payload)) wait = true;
    }
    if (wait && !this.stdout.destroyed) this.stdout.once('drain', () => done());
    else done();
  }
}

/**
 * An exec in the session's container as uid 1000 (the session user, never root), stdin streamed
 * from `io.stdin`. Why exec and not the archive API (putArchive/getArchive): the archive API
 * writes as the engine (root) and follows symlinks inside the container, so a symlink the user
 * swaps in could make it write anywhere; an exec writes with the user's own rights, and is the
 * same mechanism as on Kubernetes, so one set of scripts serves both (files/file-scripts.ts).
 * Docker and podman both pass the half-close of a hijacked connection on as end of stdin.
 */
export async function dockerExec(
  docker: Docker,
  sessionId: string,
  command: string[],
  io: SessionExec,
): Promise<SessionExecResult> {
  const container = docker.getContainer(containerName(sessionId));
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await container.exec({
      Cmd: command,
      User: `${SESSION_UID}:${SESSION_UID}`,
      WorkingDir: SESSION_HOME,
      AttachStdin: io.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
    });
    stream = (await exec.start({ hijack: true, stdin: io.stdin !== undefined })) as Duplex;
  } catch (error) {
    throw new DriverError('platform_error', `exec in session ${sessionId} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const demuxer = new ExecDemuxer(io.stdout);
  const abort = () => stream.destroy();
  io.signal.addEventListener('abort', abort, { once: true });
  if (io.stdin) {
    io.stdin.pipe(stream);
    // An input that closes without ending (the control plane hung up) must still reach the process
    // as end of input, so it can clean up.
    io.stdin.once('close', () => stream.end());
  }
  const finished = await new Promise<boolean>((resolve) => {
    stream.on('end', () => resolve(true));
    stream.on('close', () => resolve(false));
    stream.on('error', () => resolve(false));
    stream.pipe(demuxer);
  });
  io.signal.removeEventListener('abort', abort);
  if (!finished || io.signal.aborted) return { exitCode: -1, stderr: demuxer.stderr };
  await new Promise<void>((resolve) => (demuxer.writableFinished ? resolve() : demuxer.once('finish', resolve)));
  const info = await exec.inspect().catch(() => undefined);
  return { exitCode: info?.ExitCode ?? -1, stderr: demuxer.stderr };
}
