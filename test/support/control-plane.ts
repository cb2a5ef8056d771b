import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  loadConfig,
  startControlPlane,
  type ControlPlane,
  type ControlPlaneConfig,
  type StartOptions,
} from '@streamspace/control-plane';
import type { FreshDatabase } from './databases.js';
import { LogCapture } from './log-capture.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const AGENT_TOKEN = 'agent-token-for-tests-0123456789';
export const JWT_SECRET = 'jwt-secret-for-tests-0123456789abcdef';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A control plane on a loopback port with helpers to call its API as some user. */
export class TestControlPlane {
  token: string | undefined;

  constructor(
    readonly cp: ControlPlane,
    readonly logs: LogCapture,
    private readonly cleanup: () => Promise<void>,
  ) {}

  get url() {
    return this.cp.url;
  }

  get wsUrl() {
    return `${this.cp.url.replace(/^http/, 'ws')}/agent/ws`;
  }

  /** Calls the API; `body` is JSON-encoded unless it is already a string (for malformed input). */
  async api<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const token = options.token === undefined ? this.token : options.token;
    const headers: Record<string, string> = { ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (metrics, docs): keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  /** The Prometheus text from the metrics listener (METRICS_PORT), not the public port. */
  async metrics(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.cp.metricsPort}/metrics`);
    if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
    return response.text();
  }

  async login(username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
    const response = await this.api('POST', '/api/v1/auth/login', { body: { username, password }, token: null });
    if (response.status !== 200) throw new Error(`login as ${username} failed: ${JSON.stringify(response.body)}`);
    return response.body.token as string;
  }

  async loginAsAdmin(): Promise<this> {
    this.token = await this.login();
    return this;
  }

  /** Creates a user and returns a token for it. */
  async createUser(username: string, role: 'user' | 'admin' = 'user'): Promise<string> {
    const created = await this.api('POST', '/api/v1/users', {
      body: { username, password: `${username}-password`, role },
    });
    if (created.status !== 201) throw new Error(`creating ${username} failed: ${JSON.stringify(created.body)}`);
    return this.login(username, `${username}-password`);
  }

  stop() {
    return this.cleanup();
  }
}

export interface TestControlPlaneOptions {
  env?: Record<string, string>;
  /** Keep the data dir between starts (restart tests pass the same one). */
  dataDir?: string;
  start?: Omit<StartOptions, 'database' | 'logger'>;
}

/** Starts a control plane on `fresh` with test secrets, a silent-but-captured log and port 0. */
export async function startTestControlPlane(fresh: FreshDatabase, options: TestControlPlaneOptions = {}) {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'streamspace-cp-')));
  const env: Record<string, string> = {
    PORT: '0',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    STREAMSPACE_DATA_DIR: dataDir,
    ADMIN_PASSWORD,
    AGENT_TOKEN,
    JWT_SECRET,
    // Tests of other features create more sessions than the default per-user quota allows; the
    // quota's own tests set USER_MAX_SESSIONS.
    USER_MAX_SESSIONS: '100',
    ...(fresh.kind === 'postgres' ? { DATABASE_URL: fresh.url } : {}),
    ...options.env,
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`test config invalid: ${loaded.problems.join('; ')}`);
  const config: ControlPlaneConfig = loaded.config;
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const cp = await startControlPlane(config, {
    ...options.start,
    logger,
    ...(fresh.kind === 'pglite' ? { database: fresh.database } : {}),
  });
  return new TestControlPlane(cp, logs, async () => {
    await cp.stop();
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  });
}
