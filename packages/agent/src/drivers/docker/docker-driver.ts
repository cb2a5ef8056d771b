import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import type { Logger } from 'pino';
import { MAX_REASON_LENGTH, clipReason } from '@streamspace/protocol';
import {
  DriverError,
  type DriverSession,
  type ProgressReporter,
  type SessionDriver,
  type SessionExec,
  type SessionExecResult,
  type SessionSpec,
  type VncEndpoint,
} from '../session-driver.js';
import { waitForRfb } from '../vnc-probe.js';
import { buildContainerSpec } from './container-spec.js';
import { VNC_PASSWORD_ENV, newVncPassword, revealVncPassword } from '../../tunnel/vnc-password.js';
import { demuxLogs, lastLines } from './docker-logs.js';
import { LABELS, containerName, homeVolumeName } from './labels.js';
import { dockerExec } from './docker-exec.js';
import { pullImage } from './image-pull.js';
import { ImageBuilds, type ImageRecipes } from './image-build.js';
import type { SessionEgress } from '../session-egress.js';
import { enforceSessionEgress } from './egress-firewall.js';

export interface DockerDriverOptions {
  docker: Docker;
  agentId: string;
  /** The agent's pool: containers are labelled with it, and the driver sees all of the pool's. */
  pool: string | undefined;
  network: string;
  vncAccess: 'container-ip' | 'loopback-port';
  /** SESSION_EGRESS, enforced with iptables rules for the session network (egress-rules.ts). */
  egress: SessionEgress;
  /** Whether the engine runs on this host (a unix socket): only then can the agent firewall it. */
  localEngine: boolean;
  readyTimeoutMs: number;
  logger: Logger;
  /** IMAGE_BUILD_ON_DEMAND: the recipes of the images built when a session needs one that is missing. */
  imageRecipes?: ImageRecipes;
}

const VNC_PORT_LABEL = 'streamspace.vnc-port';
const isStatus = (error: unknown, ...codes: number[]) =>
  codes.includes((error as { statusCode?: number }).statusCode ?? 0);
/** Docker answers 404 for a missing container; podman answers 500 "no such container" when it
 * vanished between two calls (removed while being listed). */
const isMissing = (error: unknown) =>
  isStatus(error, 404) ||
  /no such (container|volume)/i.test((error as { json?: { cause?: string } }).json?.cause ?? '');

/**
 * Sessions as containers on a Docker Engine or podman's Docker-compatible API (the same calls
 * work on both). One container per session, found again by its name and labels.
 */
export class DockerDriver implements SessionDriver {
  readonly platform = 'docker' as const;
  readonly #docker: Docker;
  /** Sessions this agent is stopping on purpose, so their exit is not reported as a crash. */
  readonly #stopping = new Set<string>();
  #exitListeners: Array<(sessionId: string, reason: string) => void> = [];
  #events: NodeJS.ReadableStream | undefined;
  #closed = false;
  readonly #builds: ImageBuilds | undefined;

  constructor(private readonly o: DockerDriverOptions) {
    this.#docker = o.docker;
    this.#builds = o.imageRecipes && new ImageBuilds(o.docker, o.imageRecipes, o.logger);
  }

  /** Creates the session network if missing; called once before use. */
  async prepare(): Promise<void> {
    try {
      await this.#docker.getNetwork(this.o.network).inspect();
    } catch (error) {
      if (!isStatus(error, 404)) throw this.#platformError('inspecting the session network', error);
      await this.#docker
        .createNetwork({
          Name: this.o.network,
          Driver: 'bridge',
          Labels: { [LABELS.managed]: 'true' },
          // Docker: sessions on this bridge cannot reach each other's VNC ports.
          Options: { 'com.docker.network.bridge.enable_icc': 'false' },
        })
        .catch((e: unknown) => {
          if (!isStatus(e, 409)) throw this.#platformError('creating the session network', e);
        });
    }
    await enforceSessionEgress(this.#docker, this.o).catch((e: unknown) => {
      throw this.#platformError('inspecting the session network', e);
    });
    await this.#watchEvents();
  }

  async start(spec: SessionSpec, progress: ProgressReporter): Promise<VncEndpoint> {
    const name = containerName(spec.sessionId);
    if (!(await this.#inspect(name))) {
      await pullImage(this.#docker, spec.template, progress, this.#builds);
      if (spec.template.persistent_home) await this.#ensureVolume(homeVolumeName(spec.sessionId), spec.sessionId);
      progress({ step: 'container', message: 'creating the container' });
      const definition = buildContainerSpec(spec, this.o, newVncPassword());
      definition.Labels![VNC_PORT_LABEL] = String(spec.template.vnc_port);
      try {
        await this.#docker.createContainer(definition);
      } catch (error) {
        if (!isStatus(error, 409)) throw this.#platformError(`creating container ${name}`, error);
      }
    }
    return this.#run(spec.sessionId, name, progress);
  }

  async resume(sessionId: string, progress: ProgressReporter): Promise<VncEndpoint> {
    const name = containerName(sessionId);
    if (!(await this.#inspect(name)))
      throw new DriverError('not_found', `session ${sessionId} has no container on this host`);
    return this.#run(sessionId, name, progress);
  }

  /** Starts the container if it is not running and waits until VNC answers. */
  async #run(sessionId: string, name: string, progress: ProgressReporter): Promise<VncEndpoint> {
    this.#stopping.delete(sessionId);
    const container = this.#docker.getContainer(name);
    const info = await this.#inspect(name);
    if (!info?.State.Running) {
      progress({ step: 'container', message: 'starting the container' });
      try {
        await container.start();
      } catch (error) {
        if (!isStatus(error, 304))
          throw new DriverError('start_failed', `container ${name} did not start: ${this.#message(error)}`, {
            cause: error,
          });
      }
    }
    progress({ step: 'vnc', message: 'waiting for the VNC server' });
    return this.#waitForVnc(sessionId, name);
  }

  /** Resolves once the session's VNC server answers; fails at once if its container exits. */
  async #waitForVnc(sessionId: string, name: string): Promise<VncEndpoint> {
    try {
      const ready = await waitForRfb(() => this.vncEndpoint(sessionId), {
        timeoutMs: this.o.readyTimeoutMs,
        abort: () => this.#exitReason(name),
      });
      return { host: ready.host, port: ready.port };
    } catch (error) {
      throw new DriverError('start_failed', (error as Error).message, { cause: error });
    }
  }

  async stop(sessionId: string): Promise<void> {
    this.#stopping.add(sessionId);
    try {
      await this.#docker.getContainer(containerName(sessionId)).stop({ t: 10 });
    } catch (error) {
      if (isStatus(error, 404))
        throw new DriverError('not_found', `session ${sessionId} has no container on this host`);
      if (!isStatus(error, 304)) throw this.#platformError(`stopping session ${sessionId}`, error);
    }
  }

  hibernate(sessionId: string): Promise<void> {
    // The container is kept stopped with its home volume; resume starts the same container.
    return this.stop(sessionId);
  }

  async delete(sessionId: string): Promise<void> {
    this.#stopping.add(sessionId);
    try {
      await this.#docker.getContainer(containerName(sessionId)).remove({ force: true });
    } catch (error) {
      if (!isStatus(error, 404)) throw this.#platformError(`removing session ${sessionId}`, error);
    }
    try {
      await this.#docker.getVolume(homeVolumeName(sessionId)).remove();
    } catch (error) {
      if (!isStatus(error, 404)) throw this.#platformError(`removing the home volume of ${sessionId}`, error);
    }
    this.#stopping.delete(sessionId);
  }

  async list(): Promise<DriverSession[]> {
    const sessions: DriverSession[] = [];
    for (const c of await this.#sessionContainers()) {
      const sessionId = c.Labels[LABELS.sessionId];
      if (!sessionId) continue;
      const info = await this.#inspect(c.Id);
      if (!info) continue; // removed while listing
      sessions.push({
        sessionId,
        state: c.State === 'running' ? 'running' : 'stopped',
        cpu: (info.HostConfig.NanoCpus ?? 0) / 1e9,
        memoryGb: (info.HostConfig.Memory ?? 0) / 1024 ** 3,
      });
    }
    return sessions;
  }

  /**
   * The pool's containers, and this agent's own from before it had a pool (labelled with its id
   * only). Two label queries, merged: the engine ANDs the labels of one filter.
   */
  async #sessionContainers() {
    const query = (label: string) =>
      this.#docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, label] } });
    try {
      const lists = await Promise.all([
        query(`${LABELS.agentId}=${this.o.agentId}`),
        ...(this.o.pool ? [query(`${LABELS.pool}=${this.o.pool}`)] : []),
      ]);
      return [...new Map(lists.flat().map((c) => [c.Id, c])).values()];
    } catch (error) {
      throw this.#platformError('listing session containers', error);
    }
  }

  async adopt(sessionId: string): Promise<VncEndpoint> {
    const name = containerName(sessionId);
    const info = await this.#inspect(name);
    if (!info) throw new DriverError('not_found', `session ${sessionId} has no container on this engine`);
    if (!info.State.Running) {
      const why = (await this.#exitReason(name)) ?? `it is ${info.State.Status}`;
      throw new DriverError(
        'not_found',
        `session ${sessionId} cannot be adopted: its container is not running (${why}); the session has to be started again`,
      );
    }
    this.#stopping.delete(sessionId);
    return this.#waitForVnc(sessionId, name);
  }

  exec(sessionId: string, command: string[], io: SessionExec): Promise<SessionExecResult> {
    return dockerExec(this.#docker, sessionId, command, io);
  }

  async vncEndpoint(sessionId: string): Promise<VncEndpoint> {
    const info = await this.#inspect(containerName(sessionId));
    if (!info) throw new DriverError('not_found', `session ${sessionId} has no container on this host`);
    const port = Number(info.Config.Labels?.[VNC_PORT_LABEL] ?? 5900);
    const obfuscated = info.Config.Env?.find((e) => e.startsWith(`${VNC_PASSWORD_ENV}=`))?.split('=')[1];
    const password = obfuscated ? revealVncPassword(obfuscated) : undefined;
    if (this.o.vncAccess === 'loopback-port') {
      const published = info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0]?.HostPort;
      if (!published) throw new DriverError('not_found', `session ${sessionId} has no VNC port published on 127.0.0.1`);
      return { host: '127.0.0.1', port: Number(published), password };
    }
    const address = info.NetworkSettings.Networks?.[this.o.network]?.IPAddress;
    if (!address)
      throw new DriverError(
        'not_found',
        `session ${sessionId} has no address on network ${this.o.network} (is it running?)`,
      );
    return { host: address, port, password };
  }

  onUnexpectedExit(listener: (sessionId: string, reason: string) => void): void {
    this.#exitListeners.push(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    (this.#events as unknown as { destroy?: () => void } | undefined)?.destroy?.();
  }

  /** Follows the engine's `die` events for our containers; restarts the stream if it drops. */
  async #watchEvents(): Promise<void> {
    if (this.#closed) return;
    try {
      // Only the type is filtered by the engine: podman 4.3's compat API returns nothing when
      // asked to filter by event or label, so the rest is filtered here.
      const stream = await this.#docker.getEvents({ filters: { type: ['container'] } });
      this.#events = stream;
      let buffer = '';
      stream.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line) void this.#onDie(line);
        }
      });
      stream.on('error', () => undefined);
      stream.on('close', () => {
        if (!this.#closed) setTimeout(() => void this.#watchEvents(), 1000).unref();
      });
    } catch (error) {
      this.o.logger.warn({ err: error }, 'cannot follow container events; retrying');
      if (!this.#closed) setTimeout(() => void this.#watchEvents(), 2000).unref();
    }
  }

  async #onDie(line: string) {
    try {
      const event = JSON.parse(line) as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
      const attributes = event.Actor?.Attributes ?? {};
      // Every agent of the pool reports a pool container's exit: the control plane takes the
      // owner's report and refuses the others', and ownership may have moved since the container
      // was labelled. Without a pool, only the agent's own containers.
      const ours =
        attributes[LABELS.agentId] === this.o.agentId || (this.o.pool && attributes[LABELS.pool] === this.o.pool);
      if (event.Action !== 'die' || !ours) return;
      const sessionId = attributes[LABELS.sessionId];
      if (!sessionId || this.#stopping.has(sessionId)) return;
      // Removed already (deleted on purpose; its die event arrives late): nothing to report, and a
      // container removed behind the agent's back is found by reconciliation.
      if (!(await this.#inspect(containerName(sessionId)))) return;
      const code = attributes.exitCode ?? attributes.containerExitCode ?? '?';
      const reason = (await this.#exitReason(containerName(sessionId))) ?? `container exited (code ${code})`;
      for (const listener of this.#exitListeners) listener(sessionId, reason);
    } catch (error) {
      this.o.logger.warn({ err: error, line }, 'unreadable container event');
    }
  }

  /** Why a container is not running, with its last log lines; undefined while it runs. */
  async #exitReason(name: string): Promise<string | undefined> {
    const info = await this.#inspect(name);
    if (!info) return `container ${name} disappeared`;
    if (info.State.Running || info.State.Status === 'created' || info.State.Status === 'configured') return undefined;
    const logs = await this.#docker
      .getContainer(name)
      .logs({ stdout: true, stderr: true, tail: 10, follow: false })
      .then((b) => lastLines(demuxLogs(b as unknown as Buffer), 10))
      .catch(() => '');
    const oom = info.State.OOMKilled ? ' (out of memory)' : '';
    const head = `container exited with code ${info.State.ExitCode}${oom}`;
    // Log lines are the user's output and may be any length: keep the end (where the error is) and
    // the whole reason within the protocol's MAX_REASON_LENGTH.
    const room = MAX_REASON_LENGTH - head.length - 20;
    const tail = logs.length > room ? `…${logs.slice(logs.length - room + 1)}` : logs;
    return clipReason(`${head}${tail ? `; last log lines:\n${tail}` : ''}`);
  }

  async #inspect(name: string): Promise<ContainerInspectInfo | undefined> {
    try {
      return await this.#docker.getContainer(name).inspect();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.#platformError(`inspecting ${name}`, error);
    }
  }

  async #ensureVolume(name: string, sessionId: string) {
    try {
      await this.#docker.getVolume(name).inspect();
    } catch (error) {
      if (!isStatus(error, 404)) throw this.#platformError(`inspecting volume ${name}`, error);
      await this.#docker
        .createVolume({
          Name: name,
          Labels: {
            [LABELS.managed]: 'true',
            [LABELS.sessionId]: sessionId,
            [LABELS.agentId]: this.o.agentId,
            ...(this.o.pool ? { [LABELS.pool]: this.o.pool } : {}),
          },
        })
        .catch((e: unknown) => {
          if (!isStatus(e, 409)) throw this.#platformError(`creating volume ${name}`, e);
        });
    }
  }

  #message(error: unknown): string {
    const json = (error as { json?: { message?: string } }).json;
    return json?.message ?? (error as Error).message;
  }

  #platformError(what: string, error: unknown): DriverError {
    return new DriverError('platform_error', `${what} failed: ${this.#message(error)}`, { cause: error });
  }
}
