import { createHash } from 'node:crypto';

/**
 * Labels every session object carries (Deployment, its pods, Service, PVC, NetworkPolicy). The
 * first three are the ones the issue names; the agent label lets several agents share a namespace,
 * and reconciliation after a restart finds this agent's sessions from it.
 */
export const K8S_LABELS = {
  app: 'app',
  sessionId: 'session-id',
  managedBy: 'app.kubernetes.io/managed-by',
  agentId: 'streamspace.io/agent-id',
  /** The agent pool (AGENT_POOL) that created it: every agent of the pool sees and can adopt it. */
  pool: 'streamspace.io/pool',
} as const;

/** Annotations: values that need not be valid label values (user names, full agent ids). */
export const K8S_ANNOTATIONS = {
  agentId: 'streamspace.io/agent-id',
  template: 'streamspace.io/template',
  user: 'streamspace.io/user',
  vncPort: 'streamspace.io/vnc-port',
  pool: 'streamspace.io/pool',
} as const;

/** The label agent pods carry (set by the Helm chart); session NetworkPolicies admit only them. */
export const AGENT_POD_LABEL = { key: 'streamspace.io/component', value: 'agent' } as const;

export const MANAGED_BY = 'streamspace';
export const SESSION_APP = 'session';
/** The Service's port; the container's port is the template's vnc_port. */
export const SERVICE_VNC_PORT = 5900;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * AGENT_ID may be up to 255 characters of anything, a label value at most 63 of [A-Za-z0-9-_.].
 * An id that does not fit is replaced by a stable hash, so the same agent always selects the same
 * objects; the full id is kept in an annotation.
 */
export function agentLabelValue(agentId: string): string {
  return labelValue(agentId);
}

/** Pool names (`kubernetes:<namespace>@<server URL>`) are never label values: the same stable hash. */
export const poolLabelValue = (pool: string) => labelValue(pool);

function labelValue(value: string): string {
  if (value.length <= 63 && LABEL_VALUE.test(value)) return value;
  return `sha256-${createHash('sha256').update(value).digest('hex').slice(0, 40)}`;
}

/** Selects this agent's session objects. */
export function agentSelector(agentId: string): string {
  return `${K8S_LABELS.managedBy}=${MANAGED_BY},${K8S_LABELS.app}=${SESSION_APP},${K8S_LABELS.agentId}=${agentLabelValue(agentId)}`;
}

/**
 * The session objects an agent works with: its pool's when it has one (any agent of the pool may
 * have created them; the control plane says which one owns each), else only its own.
 */
export function sessionObjectsSelector(o: { agentId: string; pool?: string | undefined }): string {
  if (!o.pool) return agentSelector(o.agentId);
  return `${K8S_LABELS.managedBy}=${MANAGED_BY},${K8S_LABELS.app}=${SESSION_APP},${K8S_LABELS.pool}=${poolLabelValue(o.pool)}`;
}

// Session ids are UUIDs (the protocol checks), so these stay DNS-1035 labels of at most 56 characters.
// Names are lower case: object names must be, and a UUID may arrive in either case.
export const deploymentName = (sessionId: string) => `streamspace-session-${sessionId.toLowerCase()}`;
export const serviceName = deploymentName;
export const networkPolicyName = deploymentName;
/** The Secret holding the session's VNC password (vncpasswd's form under `vnc-password`). */
export const vncSecretName = deploymentName;
export const VNC_SECRET_KEY = 'vnc-password';
export const homeClaimName = (sessionId: string) => `streamspace-home-${sessionId.toLowerCase()}`;
