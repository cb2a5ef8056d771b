import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { agentIdProblem, formatDuration, parseDuration, type Platform } from '@streamspace/protocol';
import { SESSION_EGRESS_POLICIES, type SessionEgress } from './drivers/session-egress.js';

export interface AgentConfig {
  agentId: string;
  controlPlaneUrl: string;
  /** The join token (the control plane's AGENT_TOKEN); needed only to enroll AGENT_ID. */
  agentToken: string | undefined;
  /** Where the agent keeps its own credential (created, mode 0600, on first start). */
  credentialFile: string;
  platform: Platform;
  region: string | undefined;
  /** AGENT_POOL; undefined = derived from the platform once the driver has reached it. */
  pool: string | undefined;
  maxCpu: number;
  maxMemoryGb: number;
  maxSessions: number;
  heartbeatIntervalMs: number;
  /** How long a started session may take to serve VNC before it is reported failed. */
  sessionReadyTimeoutMs: number;
  logLevel: string;
  dockerHost: string | undefined;
  /** How the agent reaches a session's VNC port: the container's address, or a port published on 127.0.0.1. */
  vncAccess: 'container-ip' | 'loopback-port';
  sessionNetwork: string;
  /** Where sessions may connect: internet (not the host, private or link-local ranges), none, all. */
  sessionEgress: SessionEgress;
  /** Kubernetes: the kubeconfig file; undefined = in-cluster config, else ~/.kube/config. */
  kubeconfig: string | undefined;
  /** Kubernetes: the namespace sessions run in. */
  namespace: string;
  /** Kubernetes: the agent's own namespace (admitted to VNC); undefined = the pod's, else `namespace`. */
  agentNamespace: string | undefined;
  sessionStorageClass: string | undefined;
  sessionHomeSize: string;
  sessionImagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Docker: build a bundled catalog image a session needs when it is missing (needs the recipes). */
  imageBuildOnDemand: boolean;
}

export interface AgentSetting {
  env: string;
  defaultText: string;
  description: string;
}

/** The agent's environment variables, for the README (the seed's agent table plus ours). */
export const AGENT_SETTINGS: AgentSetting[] = [
  {
    env: 'AGENT_ID',
    defaultText: 'required (the hostname in `streamspace up`)',
    description: 'Unique agent identifier',
  },
  {
    env: 'CONTROL_PLANE_URL',
    defaultText: 'required (this process in `streamspace up`)',
    description:
      'Control plane URL, ws:// or wss:// (http(s):// is accepted); /agent/ws is added when no path is given',
  },
  {
    env: 'AGENT_TOKEN',
    defaultText: 'required to enroll (read from the data dir in `streamspace up`)',
    description:
      "The control plane's AGENT_TOKEN, a join token: enrolls this AGENT_ID with the credential in AGENT_CREDENTIAL_FILE on first connect; not needed once enrolled",
  },
  {
    env: 'AGENT_CREDENTIAL_FILE',
    defaultText: '~/.streamspace/agent-<AGENT_ID>.credential (`<data dir>/agent-credential` in `streamspace up`)',
    description:
      "This agent's own credential, bound to its AGENT_ID; created with mode 0600 on first start if missing (or mounted, e.g. from the chart's Secret). Keep it: an enrolled id cannot register without it",
  },
  {
    env: 'PLATFORM',
    defaultText: 'from the command (`agent docker` → docker, `agent kubernetes` → kubernetes)',
    description: 'Platform type (docker, kubernetes)',
  },
  { env: 'REGION', defaultText: '(none)', description: 'Deployment region, preferred by sessions that ask for it' },
  {
    env: 'AGENT_POOL',
    defaultText:
      'docker: `docker:<engine ID>` (Docker Engine), `docker:<engine host name>:<DOCKER_HOST>` (podman, whose ID changes per call); kubernetes: `kubernetes:<NAMESPACE>@<API server URL of the kubeconfig’s current cluster>`',
    description:
      "Agents naming the same pool share one platform and take over each other's sessions (which keep running) when one goes offline; set it only to split or join pools the default gets wrong",
  },
  { env: 'MAX_CPU', defaultText: '0 (unlimited)', description: 'Max CPU cores for sessions' },
  { env: 'MAX_MEMORY', defaultText: '0 (unlimited)', description: 'Max memory (GB) for sessions' },
  { env: 'MAX_SESSIONS', defaultText: '0 (unlimited)', description: 'Max concurrent sessions' },
  {
    env: 'HEARTBEAT_INTERVAL',
    defaultText: '10s',
    description:
      "Heartbeat period; must be below half the control plane's AGENT_HEARTBEAT_TIMEOUT, checked at registration",
  },
  {
    env: 'SESSION_READY_TIMEOUT',
    defaultText: '2m',
    description: 'How long a session may take to answer VNC before it is reported failed',
  },
  { env: 'LOG_LEVEL', defaultText: 'info', description: 'Log level (trace, debug, info, warn, error, fatal, silent)' },
  {
    env: 'DOCKER_HOST',
    defaultText:
      'the first socket that answers: /var/run/docker.sock, /run/podman/podman.sock, /run/streamspace-podman.sock, $XDG_RUNTIME_DIR/podman/podman.sock',
    description: 'Docker Engine or podman API (unix:// or tcp://)',
  },
  {
    env: 'IMAGE_BUILD_ON_DEMAND',
    defaultText: 'true in `streamspace up`, false elsewhere',
    description:
      "Docker: when a session's image is missing and it is one of the bundled session images (streamspace/xterm, firefox-browser, desktop), build it on the engine from the repository's images/ folder, its steps shown as the session's start-up progress; other images are never built. Needs the repository checkout (`streamspace up` and `streamspace agent docker` supply it; an agent without one says so at start)",
  },
  {
    env: 'VNC_ACCESS',
    defaultText: 'container-ip',
    description:
      "How the agent reaches a session's VNC port: container-ip, or loopback-port (published on 127.0.0.1 only, for hosts where container addresses are not routable)",
  },
  {
    env: 'SESSION_NETWORK',
    defaultText: 'streamspace-sessions',
    description: 'Docker bridge network sessions are attached to',
  },
  {
    env: 'SESSION_EGRESS',
    defaultText: 'internet',
    description:
      "Where sessions may connect: internet (the public internet; not the agent's host, private ranges or link-local addresses such as 169.254.169.254), none, or all. Docker: iptables rules for SESSION_NETWORK (needs root on the engine's host; the agent logs an error when it cannot); Kubernetes: Egress rules in each session's NetworkPolicy",
  },
  {
    env: 'KUBECONFIG',
    defaultText: 'in-cluster config (the pod’s ServiceAccount), else ~/.kube/config',
    description: 'Kubernetes: kubeconfig file the agent uses (its current context)',
  },
  {
    env: 'NAMESPACE',
    defaultText: 'streamspace',
    description: 'Kubernetes: namespace the session objects are created in',
  },
  {
    env: 'AGENT_NAMESPACE',
    defaultText: 'the namespace in /var/run/secrets/kubernetes.io/serviceaccount/namespace, else NAMESPACE',
    description:
      "Kubernetes: the agent's own namespace; each session's NetworkPolicy admits VNC only from pods labelled streamspace.io/component=agent there",
  },
  {
    env: 'SESSION_STORAGE_CLASS',
    defaultText: "the cluster's default StorageClass",
    description: 'Kubernetes: StorageClass of the PVC that holds a persistent home',
  },
  {
    env: 'SESSION_HOME_SIZE',
    defaultText: '5Gi',
    description: 'Kubernetes: size requested for a persistent home PVC (a Kubernetes quantity)',
  },
  {
    env: 'SESSION_IMAGE_PULL_POLICY',
    defaultText: 'IfNotPresent',
    description: 'Kubernetes: imagePullPolicy of session containers (Always, IfNotPresent, Never)',
  },
];

export type AgentConfigResult = { ok: true; config: AgentConfig } | { ok: false; problems: string[] };

export interface AgentConfigDefaults {
  platform: Platform;
  /** `streamspace up` runs the agent in-process: these fill in what a standalone agent must be told. */
  allInOne?: { controlPlaneUrl: string; agentToken: string; credentialFile: string; heartbeatIntervalMs: number };
}

/** Reads the agent's environment; every problem is one line naming the variable. */
export function loadAgentConfig(
  env: Record<string, string | undefined>,
  defaults: AgentConfigDefaults,
): AgentConfigResult {
  const problems: string[] = [];
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const number = (name: string, integer: boolean) => {
    const raw = get(name);
    if (raw === undefined) return 0;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
      problems.push(`${name}: expected ${integer ? 'a whole number' : 'a number'} ≥ 0 (0 = unlimited), got "${raw}"`);
      return 0;
    }
    return n;
  };
  const duration = (name: string, fallbackMs: number, minMs: number) => {
    const raw = get(name);
    if (raw === undefined) return fallbackMs;
    const ms = parseDuration(raw);
    if (ms === undefined) problems.push(`${name}: expected a duration like 10s or 1m, got "${raw}"`);
    else if (ms < minMs) problems.push(`${name}: must be at least ${formatDuration(minMs)}, got "${raw}"`);
    return ms ?? fallbackMs;
  };

  const agentId = get('AGENT_ID') ?? (defaults.allInOne ? hostname() : undefined);
  if (!agentId) problems.push('AGENT_ID: required, a unique name for this agent (e.g. docker-host-1)');
  else {
    const problem = agentIdProblem(agentId);
    if (problem) problems.push(`AGENT_ID: ${problem}`);
  }

  let controlPlaneUrl = get('CONTROL_PLANE_URL') ?? defaults.allInOne?.controlPlaneUrl;
  if (!controlPlaneUrl) {
    problems.push('CONTROL_PLANE_URL: required, the control plane to dial, e.g. wss://streamspace.example.com');
  } else {
    try {
      const url = new URL(controlPlaneUrl);
      const protocol = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[url.protocol];
      if (!protocol) throw new Error(`unsupported scheme ${url.protocol}`);
      url.protocol = protocol;
      if (url.pathname === '/' || url.pathname === '') url.pathname = '/agent/ws';
      controlPlaneUrl = url.toString();
    } catch (error) {
      problems.push(
        `CONTROL_PLANE_URL: expected a ws://, wss://, http:// or https:// URL (${(error as Error).message})`,
      );
    }
  }
  const agentToken = get('AGENT_TOKEN') ?? defaults.allInOne?.agentToken;
  const credentialFile =
    get('AGENT_CREDENTIAL_FILE') ??
    defaults.allInOne?.credentialFile ??
    join(homedir(), '.streamspace', `agent-${agentId ?? 'agent'}.credential`);

  const platform = (get('PLATFORM') ?? defaults.platform) as Platform;
  if (platform !== 'docker' && platform !== 'kubernetes') {
    problems.push(`PLATFORM: expected docker or kubernetes, got "${platform}"`);
  }
  const vncAccess = get('VNC_ACCESS') ?? 'container-ip';
  if (vncAccess !== 'container-ip' && vncAccess !== 'loopback-port') {
    problems.push(`VNC_ACCESS: expected container-ip or loopback-port, got "${vncAccess}"`);
  }
  const sessionEgress = get('SESSION_EGRESS') ?? 'internet';
  if (!(SESSION_EGRESS_POLICIES as readonly string[]).includes(sessionEgress)) {
    problems.push(`SESSION_EGRESS: expected internet, none or all, got "${sessionEgress}"`);
  }
  const namespace = get('NAMESPACE') ?? 'streamspace';
  const agentNamespace = get('AGENT_NAMESPACE');
  for (const [name, value] of [
    ['NAMESPACE', namespace],
    ['AGENT_NAMESPACE', agentNamespace],
  ] as const) {
    if (value !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
      problems.push(`${name}: expected a Kubernetes namespace name (lower-case letters, digits, '-'), got "${value}"`);
    }
  }
  const pool = get('AGENT_POOL');
  if (pool !== undefined && pool.length > 500) problems.push(`AGENT_POOL: at most 500 characters, got ${pool.length}`);
  const sessionHomeSize = get('SESSION_HOME_SIZE') ?? '5Gi';
  if (!/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.test(sessionHomeSize)) {
    problems.push(`SESSION_HOME_SIZE: expected a Kubernetes quantity such as 5Gi or 500Mi, got "${sessionHomeSize}"`);
  }
  const pullPolicy = get('SESSION_IMAGE_PULL_POLICY') ?? 'IfNotPresent';
  if (!['Always', 'IfNotPresent', 'Never'].includes(pullPolicy)) {
    problems.push(`SESSION_IMAGE_PULL_POLICY: expected Always, IfNotPresent or Never, got "${pullPolicy}"`);
  }
  const buildOnDemand = get('IMAGE_BUILD_ON_DEMAND')?.toLowerCase() ?? (defaults.allInOne ? 'true' : 'false');
  if (!['true', 'false'].includes(buildOnDemand)) {
    problems.push(`IMAGE_BUILD_ON_DEMAND: expected true or false, got "${buildOnDemand}"`);
  }
  const config: AgentConfig = {
    agentId: agentId ?? '',
    controlPlaneUrl: controlPlaneUrl ?? '',
    agentToken,
    credentialFile,
    platform,
    region: get('REGION'),
    pool,
    maxCpu: number('MAX_CPU', false),
    maxMemoryGb: number('MAX_MEMORY', false),
    maxSessions: number('MAX_SESSIONS', true),
    heartbeatIntervalMs: duration('HEARTBEAT_INTERVAL', defaults.allInOne?.heartbeatIntervalMs ?? 10_000, 100),
    sessionReadyTimeoutMs: duration('SESSION_READY_TIMEOUT', 120_000, 1000),
    logLevel: get('LOG_LEVEL') ?? 'info',
    dockerHost: get('DOCKER_HOST'),
    vncAccess: vncAccess as AgentConfig['vncAccess'],
    sessionNetwork: get('SESSION_NETWORK') ?? 'streamspace-sessions',
    sessionEgress: sessionEgress as SessionEgress,
    kubeconfig: get('KUBECONFIG'),
    namespace,
    agentNamespace,
    sessionStorageClass: get('SESSION_STORAGE_CLASS'),
    sessionHomeSize,
    sessionImagePullPolicy: pullPolicy as AgentConfig['sessionImagePullPolicy'],
    imageBuildOnDemand: buildOnDemand === 'true',
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/**
 * The seeds' heartbeat bug (10 s documented, 30 s in the agent, 45 s timeout) made agents flap
 * offline. An interval not below half the timeout is refused at registration.
 */
export function checkHeartbeat(intervalMs: number, timeoutMs: number): string | undefined {
  if (intervalMs * 2 < timeoutMs) return undefined;
  return `HEARTBEAT_INTERVAL: ${formatDuration(intervalMs)} is not below half of the control plane's AGENT_HEARTBEAT_TIMEOUT (${formatDuration(timeoutMs)}); set it below ${formatDuration(Math.floor(timeoutMs / 2))}`;
}

/** The README's agent configuration table (kept equal by a test). */
export function agentConfigurationTable(): string {
  const escape = (text: string) => text.replaceAll('|', '\\|');
  return [
    '| Variable | Default | Description |',
    '|---|---|---|',
    ...AGENT_SETTINGS.map((s) => `| \`${s.env}\` | ${escape(s.defaultText)} | ${escape(s.description)} |`),
  ].join('\n');
}
