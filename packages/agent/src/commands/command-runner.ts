import {
  checkCommandPayload,
  type Command,
  type CommandPayload,
  type SessionTemplate,
  type CommandResult,
  type Progress,
  type SessionStatus,
  type InProcessTunnels,
} from '@streamspace/protocol';
import type { Logger } from 'pino';
import { DriverError, type SessionDriver, type SessionSpec } from '../drivers/session-driver.js';
import { VncTunnel, tunnelUrl } from '../tunnel/vnc-tunnel.js';
import { openFileStream } from '../files/file-stream.js';

export interface RunnerOutput {
  ack(commandId: string): void;
  result(result: CommandResult): void;
  status(status: SessionStatus): void;
}

/** How many finished command ids are remembered to answer re-sent commands without re-running them. */
const REMEMBERED_COMMANDS = 10_000;

/**
 * Executes commands from the control plane: acknowledges at once, runs them through the driver one
 * at a time per session (in arrival order), reports state changes as they happen and the outcome at
 * the end. A command id seen before is answered from memory, never executed twice.
 */
export class CommandRunner {
  readonly #finished = new Map<string, CommandResult>();
  readonly #inFlight = new Set<string>();
  readonly #perSession = new Map<string, Promise<void>>();
  readonly #tunnels = new Map<string, VncTunnel>();

  constructor(
    private readonly driver: SessionDriver,
    private readonly logger: Logger,
    /** Where tunnels dial back to (the control plane the agent is connected to). */
    private readonly controlPlaneUrl = '',
    /** This agent's own credential: a tunnel dial presents it beside the tunnel token. */
    private readonly credential = '',
    /** The control plane's process, when this agent runs in it: tunnels are handed over, not dialled. */
    private readonly inProcess?: InProcessTunnels,
  ) {}

  get openTunnels(): number {
    return this.#tunnels.size;
  }

  closeAllTunnels(): void {
    for (const tunnel of this.#tunnels.values()) tunnel.close();
  }

  handle(command: Command, out: RunnerOutput): Promise<void> {
    const id = command.command_id;
    out.ack(id);
    const remembered = this.#finished.get(id);
    if (remembered) {
      out.result(remembered);
      return Promise.resolve();
    }
    if (this.#inFlight.has(id)) return Promise.resolve(); // its result is on its way
    this.#inFlight.add(id);
    const previous = this.#perSession.get(command.session_id) ?? Promise.resolve();
    const run = previous.then(() => this.#execute(command, out));
    const tracked = run.finally(() => {
      if (this.#perSession.get(command.session_id) === tracked) this.#perSession.delete(command.session_id);
    });
    this.#perSession.set(command.session_id, tracked);
    return tracked;
  }

  async #execute(command: Command, out: RunnerOutput): Promise<void> {
    const sessionId = command.session_id;
    const log = this.logger.child({ sessionId, commandId: command.command_id });
    log.info(`Received ${command.type} command for session ${sessionId}`);
    const status = (state: SessionStatus['state'], extra: { reason?: string; progress?: Progress } = {}) =>
      out.status({ session_id: sessionId, state, ...extra });
    const progress = (p: Progress) => status('starting', { progress: p });
    let result: CommandResult;
    try {
      const data = await this.#run(command, status, progress);
      result = { command_id: command.command_id, ok: true, ...(data ? { data } : {}) };
    } catch (error) {
      const message = error instanceof DriverError ? error.message : `unexpected error: ${(error as Error).message}`;
      log.warn({ err: error }, `${command.type} failed for session ${sessionId}`);
      if (command.type === 'start_session' || command.type === 'resume_session') status('failed', { reason: message });
      result = { command_id: command.command_id, ok: false, error: message };
    }
    this.#remember(result);
    this.#inFlight.delete(command.command_id);
    out.result(result);
  }

  async #run(
    command: Command,
    status: (state: SessionStatus['state'], extra?: { reason?: string; progress?: Progress }) => void,
    progress: (p: Progress) => void,
  ): Promise<Record<string, unknown> | undefined> {
    const sessionId = command.session_id;
    switch (command.type) {
      case 'start_session':
      case 'resume_session': {
        // Checked against the command's own schema first: a bad payload fails naming the field.
        const payload = payloadOf(command, command.type);
        status('starting', { reason: command.type === 'start_session' ? 'starting' : 'resuming' });
        const endpoint =
          payload.template === undefined
            ? await this.driver.resume(sessionId, progress)
            : await this.driver.start(toSpec(sessionId, payload.user, payload.template), progress);
        status('running');
        this.logger.info(
          { sessionId, vnc: `${endpoint.host}:${endpoint.port}` },
          `Session ${sessionId} started successfully`,
        );
        return { vnc_host: endpoint.host, vnc_port: endpoint.port };
      }
      case 'stop_session':
        await this.driver.stop(sessionId);
        status('stopped');
        return undefined;
      case 'hibernate_session':
        await this.driver.hibernate(sessionId);
        status('hibernated');
        return undefined;
      case 'delete_session':
        await this.driver.delete(sessionId);
        status('deleted');
        return undefined;
      case 'adopt_session': {
        const { from_agent_id: from } = payloadOf(command, 'adopt_session');
        this.logger.info({ sessionId, from }, `Adopting session ${sessionId} from offline agent ${from}`);
        const endpoint = await this.driver.adopt(sessionId);
        status('running');
        this.logger.info(
          { sessionId, vnc: `${endpoint.host}:${endpoint.port}` },
          `Session ${sessionId} adopted from agent ${from}`,
        );
        return { vnc_host: endpoint.host, vnc_port: endpoint.port };
      }
      case 'open_tunnel': {
        const { tunnel_id: id, token } = payloadOf(command, 'open_tunnel');
        const tunnel = await VncTunnel.open({
          id,
          token,
          credential: this.credential,
          endpoint: await this.driver.vncEndpoint(sessionId),
          url: tunnelUrl(this.controlPlaneUrl, id),
          logger: this.logger,
          ...(this.inProcess ? { inProcess: this.inProcess } : {}),
        });
        this.#tunnels.set(id, tunnel);
        void tunnel.closed.then(() => this.#tunnels.delete(id));
        this.logger.info({ sessionId, tunnelId: id }, `VNC tunnel initialized for session ${sessionId}`);
        return { tunnel_id: id };
      }
      case 'open_file_stream': {
        // Returns once the stream is dialled; the transfer itself must not hold up the session's
        // other commands (a stop or a VNC tunnel) for as long as a large file takes.
        await openFileStream({
          driver: this.driver,
          sessionId,
          request: payloadOf(command, 'open_file_stream'),
          controlPlaneUrl: this.controlPlaneUrl,
          credential: this.credential,
          logger: this.logger,
        });
        return undefined;
      }
      case 'close_tunnel': {
        const { tunnel_id: id } = payloadOf(command, 'close_tunnel');
        this.#tunnels.get(id)?.close();
        return undefined;
      }
    }
  }

  #remember(result: CommandResult) {
    this.#finished.set(result.command_id, result);
    if (this.#finished.size > REMEMBERED_COMMANDS) {
      const oldest = this.#finished.keys().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
  }
}

/** The command's payload checked against its type's schema; a bad one fails the command, naming the field. */
function payloadOf<T extends Command['type']>(command: Command, type: T): CommandPayload<T> {
  const checked = checkCommandPayload(type, command.payload);
  if (!checked.ok) throw new DriverError('platform_error', checked.problem);
  return checked.payload;
}

function toSpec(sessionId: string, user: string | undefined, template: SessionTemplate): SessionSpec {
  return { sessionId, user: user ?? 'user', template };
}
