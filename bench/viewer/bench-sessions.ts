import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { containerName, revealVncPassword } from '@streamspace/agent';
import { api } from '../support/http.js';
import { BENCH_IMAGE } from './bench-image.js';

const run = promisify(execFile);
/** The Docker agent's default bridge (SESSION_NETWORK), which the host reaches by address. */
const NETWORK = 'streamspace-sessions';

/** A running session and its Xvnc as the host sees it, for the direct path. */
export interface BenchSession {
  id: string;
  /** Xvnc straight: the container's address on the sessions' bridge. */
  host: string;
  port: number;
  /** The session's VNC password (the agent's, recovered from the container's environment). */
  password?: string;
  /** Host pid of the container's first process: Xvnc is among its descendants. */
  pid: number;
}

/** The template the bench's redrawing sessions start from: two cores, so Xvnc's encoding is not capped. */
export async function createBenchTemplate(url: string, token: string): Promise<string> {
  await api(url, 'POST', '/api/v1/templates', token, {
    name: 'viewer-bench',
    display_name: 'Viewer bench (interference)',
    image: BENCH_IMAGE,
    platform: 'docker',
    cpu_limit: 2,
    memory_limit_mb: 1024,
    persistent_home: false,
  });
  return 'viewer-bench';
}

/** Starts a session of `template` through the API and waits until it runs. */
export async function startSession(url: string, token: string, template: string): Promise<BenchSession> {
  const { id } = await api<{ id: string }>(url, 'POST', '/api/v1/sessions', token, { template });
  for (;;) {
    const session = await api<{ state: string; state_reason?: string }>(url, 'GET', `/api/v1/sessions/${id}`, token);
    if (session.state === 'running') break;
    if (session.state === 'failed') throw new Error(`session of ${template} failed: ${session.state_reason}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { stdout } = await run('podman', ['inspect', '--format', 'json', containerName(id)]);
  const [info] = JSON.parse(stdout) as Array<{
    State: { Pid: number };
    Config: { Env: string[] };
    NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
  }>;
  const obfuscated = info!.Config.Env.find((e) => e.startsWith('VNC_PASSWORD_OBFUSCATED='))?.split('=')[1];
  return {
    id,
    host: info!.NetworkSettings.Networks[NETWORK]!.IPAddress,
    port: 5900,
    password: obfuscated ? revealVncPassword(obfuscated) : undefined,
    pid: info!.State.Pid,
  };
}

/** A WebSocket URL for one viewer of the session through the control plane (a single-use ticket). */
export async function viewerUrl(url: string, token: string, sessionId: string): Promise<string> {
  const { path } = await api<{ path: string }>(url, 'POST', `/api/v1/sessions/${sessionId}/connect`, token);
  return `${url.replace(/^http/, 'ws')}${path}`;
}
