import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, loadConfig, startControlPlane, type ControlPlane } from '@streamspace/control-plane';
import { createAgentLogger, loadAgentConfig, startAgent, type RunningAgent } from '@streamspace/agent';
import { AGENT_TOKEN, controlPlaneEnv } from '../support/control-plane-env.js';
import { api, loginAsAdmin } from '../support/http.js';
import WebSocket, { createWebSocketStream } from 'ws';
import { firstFramebufferUpdate, rfbFirstUpdate } from '@streamspace/test/support/rfb-client';
import { retryUntilAnswering } from './direct-podman.js';

/** A warm start's milliseconds: in all, and its three steps. */
export interface WarmStart {
  total: number;
  /** POST /sessions, which claims a running pool session. */
  claim: number;
  /** POST /sessions/{id}/connect. */
  ticket: number;
  /** The /vnc WebSocket opened, the RFB handshake, the first FramebufferUpdate. */
  frame: number;
}

/**
 * `streamspace up` as a user runs it: control plane (embedded PGlite) and a Docker agent in one
 * process, on the same podman. A session's start is timed from `POST /api/v1/sessions` to the first
 * FramebufferUpdate from the VNC endpoint the agent reports.
 */
export class StreamSpace {
  private constructor(
    private readonly cp: ControlPlane,
    private readonly agent: RunningAgent,
    private readonly token: string,
    private readonly dataDir: string,
  ) {}

  static async start(dockerHost: string): Promise<StreamSpace> {
    const dataDir = await mkdtemp(join(tmpdir(), 'streamspace-bench-start-'));
    // The throughput rows hold up to 15 sessions at once: above the default per-user limit (5).
    const loaded = loadConfig({ ...controlPlaneEnv(dataDir), LOG_LEVEL: 'warn', USER_MAX_SESSIONS: '50' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const cp = await startControlPlane(loaded.config, { logger: createLogger('warn') });
    const agentConfig = loadAgentConfig(
      { AGENT_ID: `bench-start-${process.pid}`, CONTROL_PLANE_URL: cp.url, AGENT_TOKEN, DOCKER_HOST: dockerHost },
      { platform: 'docker' },
    );
    if (!agentConfig.ok) throw new Error(agentConfig.problems.join('; '));
    // Wired as `streamspace up` wires it: the agent hands VNC streams to the control plane in-process.
    const agent = await startAgent(agentConfig.config, {
      logger: createAgentLogger('warn'),
      inProcessTunnels: cp.inProcessTunnels,
    });
    await agent.registered;
    return new StreamSpace(cp, agent, await loginAsAdmin(cp.url), dataDir);
  }

  /** Milliseconds from the create request to the first FramebufferUpdate; the session is then deleted. */
  async timeSessionStart(template: string): Promise<number> {
    const started = performance.now();
    const created = await api<{ id: string }>(this.cp.url, 'POST', '/api/v1/sessions', this.token, { template });
    for (;;) {
      const session = await api<{ state: string; state_reason: string }>(
        this.cp.url,
        'GET',
        `/api/v1/sessions/${created.id}`,
        this.token,
      );
      if (session.state === 'running') break;
      if (session.state === 'failed') throw new Error(`session failed: ${session.state_reason}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const endpoint = await this.agent.driver.vncEndpoint(created.id);
    await retryUntilAnswering(
      () => firstFramebufferUpdate(endpoint.host, endpoint.port, 2000, endpoint.password),
      10_000,
    );
    const elapsed = performance.now() - started;
    this.#pendingDeletes.push(created.id);
    return elapsed;
  }

  #pendingDeletes: string[] = [];

  /**
   * A copy of `from` named `name` that keeps `size` sessions warm, once they all run: what a user's
   * start claims in timeWarmStart.
   */
  async startWarmPool(from: string, name: string, size: number): Promise<void> {
    const t = await api<Record<string, unknown>>(this.cp.url, 'GET', `/api/v1/templates/${from}`, this.token);
    const fields = ['image', 'vnc_port', 'cpu_limit', 'memory_limit_mb', 'env', 'platform'];
    await api(this.cp.url, 'POST', '/api/v1/templates', this.token, {
      name,
      display_name: `${String(t.display_name)} (warm pool)`,
      ...Object.fromEntries(fields.map((f) => [f, t[f]])),
      persistent_home: false,
      warm_pool: size,
    });
    this.#warm = { name, size };
    await this.#warmPoolFull();
  }

  /**
   * Milliseconds from the create request to the first FramebufferUpdate as the viewer gets it: the
   * POST (which claims a running pool session), a ticket from /connect, the /vnc WebSocket through
   * the control plane and agent, the RFB handshake and the first update. The pool is full before
   * the clock starts; its replacement starts behind the claim, during the measurement, as in use.
   */
  async timeWarmStart(): Promise<WarmStart> {
    if (!this.#warm) throw new Error('startWarmPool first');
    await this.#warmPoolFull();
    const started = performance.now();
    const created = await api<{ id: string; state: string }>(this.cp.url, 'POST', '/api/v1/sessions', this.token, {
      template: this.#warm.name,
    });
    this.#pendingDeletes.push(created.id);
    const claimedAt = performance.now();
    if (created.state !== 'running') throw new Error(`no warm session was claimed (${created.state})`);
    const { path } = await api<{ path: string }>(
      this.cp.url,
      'POST',
      `/api/v1/sessions/${created.id}/connect`,
      this.token,
    );
    const ticketAt = performance.now();
    const socket = new WebSocket(`${this.cp.url.replace(/^http/, 'ws')}${path}`, ['binary'], {
      headers: { origin: this.cp.url },
    });
    const stream = createWebSocketStream(socket);
    stream.on('error', () => undefined);
    try {
      await rfbFirstUpdate(stream, 10_000);
      const done = performance.now();
      return {
        total: done - started,
        claim: claimedAt - started,
        ticket: ticketAt - claimedAt,
        frame: done - ticketAt,
      };
    } finally {
      socket.close();
    }
  }

  #warm: { name: string; size: number } | undefined;

  async #warmPoolFull(): Promise<void> {
    const warm = this.#warm!;
    for (;;) {
      const { warm_pools } = await api<{ warm_pools: Array<{ template: string; ready: number; starting: number }> }>(
        this.cp.url,
        'GET',
        '/api/v1/admin/overview',
        this.token,
      );
      const pool = warm_pools.find((p) => p.template === warm.name);
      if (pool && pool.ready === warm.size && pool.starting === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Deletes the sessions started so far and waits until their containers are gone (a warm pool's
   * own sessions stay). */
  async cleanup(): Promise<void> {
    const deleted = new Set(this.#pendingDeletes.splice(0));
    for (const id of deleted) {
      await api(this.cp.url, 'DELETE', `/api/v1/sessions/${id}`, this.token);
    }
    await this.#containersGone(deleted);
  }

  async #containersGone(ids: Set<string>): Promise<void> {
    while ((await this.agent.driver.list()).some((s) => ids.has(s.sessionId))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    await this.cleanup();
    // The pool is drained with its template: no container outlives the bench.
    if (this.#warm) {
      const pool = await api<Array<{ id: string }>>(
        this.cp.url,
        'GET',
        `/api/v1/sessions?user=${encodeURIComponent('(warm pool)')}`,
        this.token,
      );
      await api(this.cp.url, 'DELETE', `/api/v1/templates/${this.#warm.name}`, this.token);
      this.#pendingDeletes.push(...pool.map((s) => s.id));
      await this.#containersGone(new Set(this.#pendingDeletes.splice(0)));
    }
    await this.agent.stop();
    await this.cp.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
