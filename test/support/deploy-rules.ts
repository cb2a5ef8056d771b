import assert from 'node:assert/strict';
import { SETTINGS } from '@streamspace/control-plane';
import { AGENT_SETTINGS } from '@streamspace/agent';
import type { KubeObject } from './kube-objects.js';

/** Every environment variable the control plane reads (its config module, as in the README). */
export const CONTROL_PLANE_ENV = new Set(Object.values(SETTINGS).map((s) => s.env));

/**
 * The agent's variables, plus those agreed for the Kubernetes agent that is being written at the
 * same time (session namespace, its own namespace, session storage); once it lands they are in
 * AGENT_SETTINGS too and this list adds nothing.
 */
export const KUBERNETES_AGENT_ENV = [
  'NAMESPACE',
  'AGENT_NAMESPACE',
  'SESSION_STORAGE_CLASS',
  'SESSION_HOME_SIZE',
  'SESSION_IMAGE_PULL_POLICY',
];
export const AGENT_ENV = new Set([...AGENT_SETTINGS.map((s) => s.env), ...KUBERNETES_AGENT_ENV]);

/**
 * What the Kubernetes agent may do in the session namespace: exactly the calls its driver makes
 * (agreed with its author), as `group/resource verb`. EndpointSlices: the driver is about to read
 * the ready pod's address from its Service's EndpointSlices (get, list and a watch).
 */
export const AGENT_ROLE_GRANTS = [
  ...['get', 'list', 'create', 'patch', 'delete'].map((v) => `apps/deployments ${v}`),
  ...['create', 'delete'].map((v) => `/services ${v}`),
  ...['create', 'delete'].map((v) => `/persistentvolumeclaims ${v}`),
  ...['create', 'delete'].map((v) => `networking.k8s.io/networkpolicies ${v}`),
  ...['list', 'watch'].map((v) => `/pods ${v}`),
  '/events list',
  '/pods/log get',
  // Files in and out of sessions (issue 15): exec in the session pod through the API, over a
  // WebSocket (a GET; kubernetes-cluster.test.ts's audit check shows `create` is never asked for).
  '/pods/exec get',
  ...['get', 'create', 'delete'].map((v) => `/secrets ${v}`),
].sort();

/** A Role's rules flattened to `group/resource verb` strings, sorted; duplicates kept so they show. */
export function roleGrants(role: KubeObject): string[] {
  const grants: string[] = [];
  for (const rule of role.rules as Array<{
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
  }>) {
    assert.equal(rule.resourceNames, undefined, 'rules are not limited to named objects');
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) for (const verb of rule.verbs) grants.push(`${group}/${resource} ${verb}`);
    }
  }
  return grants.sort();
}

export function envNames(container: any): string[] {
  return ((container.env ?? []) as Array<{ name: string }>).map((e) => e.name);
}

export function env(container: any, name: string): any {
  return ((container.env ?? []) as Array<{ name: string }>).find((e) => e.name === name);
}

/** Names a container sets that its program does not read (empty when all are real settings). */
export function unknownEnv(container: any): string[] {
  const known = container.name === 'control-plane' ? CONTROL_PLANE_ENV : container.name === 'agent' ? AGENT_ENV : null;
  assert.ok(known, `container ${container.name} is neither control-plane nor agent`);
  return envNames(container).filter((name) => !known.has(name));
}

/** Liveness on /health and readiness on /ready, both at the port the container listens on. */
export function assertControlPlaneProbes(container: any): void {
  const ports = container.ports as Array<{ name?: string; containerPort: number }>;
  const portEnv = Number(env(container, 'PORT')?.value ?? 8080);
  const metricsPortEnv = Number(env(container, 'METRICS_PORT')?.value ?? 9090);
  assert.deepEqual(
    ports.map((p) => [p.name, p.containerPort]),
    [
      ['http', portEnv],
      ['metrics', metricsPortEnv],
    ],
    'the container ports are the PORT and METRICS_PORT the control plane listens on',
  );
  for (const [probe, path] of [
    ['livenessProbe', '/health'],
    ['readinessProbe', '/ready'],
  ] as const) {
    const get = container[probe]?.httpGet;
    assert.equal(get?.path, path, `${probe} path`);
    const target = typeof get.port === 'string' ? ports.find((p) => p.name === get.port)?.containerPort : get.port;
    assert.equal(target, portEnv, `${probe} targets the container port`);
  }
}

/** The admin password reaches a container only from a Secret, never as a literal. */
export function assertAdminPasswordFromSecret(container: any, secretName: string): void {
  const entry = env(container, 'ADMIN_PASSWORD');
  assert.ok(entry, 'ADMIN_PASSWORD is set');
  assert.equal(entry.value, undefined, 'ADMIN_PASSWORD has no literal value');
  assert.deepEqual(entry.valueFrom, { secretKeyRef: { name: secretName, key: 'password' } });
  assert.deepEqual(env(container, 'ADMIN_USERNAME')?.valueFrom, {
    secretKeyRef: { name: secretName, key: 'username' },
  });
}

const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/**
 * What keeps a pod from being admitted in a namespace enforcing the restricted Pod Security level
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted), one line per
 * problem; empty when it is admitted. The fields our pods set, checked as the admission plugin does.
 */
export function restrictedPodSecurityViolations(podSpec: any): string[] {
  const problems: string[] = [];
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) if (podSpec[host]) problems.push(`${host} is set`);
  for (const volume of (podSpec.volumes ?? []) as Array<Record<string, unknown>>) {
    const type = Object.keys(volume).find((key) => key !== 'name');
    if (!type || !RESTRICTED_VOLUME_TYPES.has(type)) problems.push(`volume ${String(volume.name)} is ${type}`);
  }
  const pod = podSpec.securityContext ?? {};
  if (pod.runAsUser === 0) problems.push('the pod runs as uid 0');
  const all = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])];
  for (const c of all) {
    const sc = c.securityContext ?? {};
    const label = `container ${c.name}`;
    if (sc.privileged) problems.push(`${label} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${label}: allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${label}: capabilities do not drop ALL`);
    const added = ((sc.capabilities?.add ?? []) as string[]).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (added.length > 0) problems.push(`${label} adds ${added.join(', ')}`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${label}: runAsNonRoot is not true`);
    if (sc.runAsUser === 0) problems.push(`${label} runs as uid 0`);
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
      problems.push(`${label}: seccompProfile is ${seccomp ?? 'unset'}, not RuntimeDefault or Localhost`);
    }
    for (const port of (c.ports ?? []) as Array<{ hostPort?: number }>) {
      if (port.hostPort) problems.push(`${label} uses hostPort ${port.hostPort}`);
    }
  }
  return problems;
}
