import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, loadConfig, startControlPlane, type ControlPlane } from '@streamspace/control-plane';
import { createAgentLogger, loadAgentConfig, startAgent, type RunningAgent } from '@streamspace/agent';
import { AGENT_TOKEN, controlPlaneEnv } from '../support/control-plane-env.js';
import { api, loginAsAdmin } from '../support/http.js';
import { firstFramebufferUpdate } from '@streamspace/test/support/rfb-client';
import { retryUntilAnswering } from './direct-podman.js';

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
    const loaded = loadConfig({ ...controlPlaneEnv(dataDir), LOG_LEVEL: 'warn' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const cp = await startControlPlane(loaded.config, { logger: createLogger('warn') });
    const agentConfig = loadAgentConfig(
      { AGENT_ID: `bench-start-${process.pid}`, CONTROL_PLANE_URL: cp.url, AGENT_TOKEN, DOCKER_HOST: dockerHost },
      { platform: 'docker' },
    );
    if (!agentConfig.ok) throw new Error(agentConfig.problems.join('; '));
    const agent = await startAgent(agentConfig.config, { logger: createAgentLogger('warn') });
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

  /** Deletes the sessions started so far and waits until their containers are gone. */
  async cleanup(): Promise<void> {
    for (const id of this.#pendingDeletes.splice(0)) {
      await api(this.cp.url, 'DELETE', `/api/v1/sessions/${id}`, this.token);
    }
    for (;;) {
      if ((await this.agent.driver.list()).length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    await this.cleanup();
    await this.agent.stop();
    await this.cp.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
