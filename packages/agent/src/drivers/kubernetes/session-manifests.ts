import { BLOCKED_IPV4_RANGES, type SessionEgress } from '../session-egress.js';
import type {
  V1Deployment,
  V1NetworkPolicy,
  V1NetworkPolicySpec,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import type { SessionSpec } from '../session-driver.js';
import { SESSION_UID } from '../docker/container-spec.js';
import {
  AGENT_POD_LABEL,
  K8S_ANNOTATIONS,
  K8S_LABELS,
  MANAGED_BY,
  SERVICE_VNC_PORT,
  SESSION_APP,
  agentLabelValue,
  poolLabelValue,
  deploymentName,
  homeClaimName,
  networkPolicyName,
  serviceName,
  vncSecretName,
  VNC_SECRET_KEY,
} from './labels.js';
import { VNC_PASSWORD_ENV, obfuscateVncPassword } from '../../tunnel/vnc-password.js';

export interface ManifestOptions {
  agentId: string;
  /** AGENT_POOL: labelled on every object so the pool's other agents see the session. */
  pool?: string | undefined;
  /** Where the sessions run (NAMESPACE). */
  namespace: string;
  /** Where the agent's pods run (AGENT_NAMESPACE): the only namespace admitted to VNC. */
  agentNamespace: string;
  /** SESSION_HOME_SIZE, a Kubernetes quantity such as 5Gi. */
  homeSize: string;
  /** SESSION_STORAGE_CLASS; undefined = the cluster's default class. */
  storageClass?: string | undefined;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** SESSION_EGRESS; undefined = internet. */
  egress?: SessionEgress | undefined;
}

/**
 * SESSION_EGRESS as NetworkPolicy Egress rules. `internet`: any address outside the blocked ranges
 * (the node's and pods' addresses are private, 169.254.169.254 is link-local), plus DNS to the
 * cluster's resolver in kube-system (its pods sit in a private range). `none`: no egress rule, so
 * nothing. `all`: no Egress policy type at all.
 */
export function egressRules(egress: SessionEgress): Pick<V1NetworkPolicySpec, 'policyTypes' | 'egress'> {
  if (egress === 'all') return { policyTypes: ['Ingress'] };
  if (egress === 'none') return { policyTypes: ['Ingress', 'Egress'], egress: [] };
  return {
    policyTypes: ['Ingress', 'Egress'],
    egress: [
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...BLOCKED_IPV4_RANGES] } }] },
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ],
  };
}

export interface SessionManifests {
  deployment: V1Deployment & { apiVersion: 'apps/v1'; kind: 'Deployment' };
  service: V1Service & { apiVersion: 'v1'; kind: 'Service' };
  networkPolicy: V1NetworkPolicy & { apiVersion: 'networking.k8s.io/v1'; kind: 'NetworkPolicy' };
  /** Only when the template asks for a persistent home. */
  homeClaim?: V1PersistentVolumeClaim & { apiVersion: 'v1'; kind: 'PersistentVolumeClaim' };
  /** The session's VNC password, when it has one; the pod reads it through secretKeyRef. */
  vncSecret?: V1Secret & { apiVersion: 'v1'; kind: 'Secret' };
}

/** What the Deployment selects and its pods carry; the Service and NetworkPolicy select the same. */
export function sessionSelector(sessionId: string): Record<string, string> {
  return { [K8S_LABELS.app]: SESSION_APP, [K8S_LABELS.sessionId]: sessionId };
}

export function sessionLabels(sessionId: string, agentId: string, pool?: string): Record<string, string> {
  return {
    ...sessionSelector(sessionId),
    [K8S_LABELS.managedBy]: MANAGED_BY,
    [K8S_LABELS.agentId]: agentLabelValue(agentId),
    ...(pool ? { [K8S_LABELS.pool]: poolLabelValue(pool) } : {}),
  };
}

/** Kubernetes quantities as the driver writes them (and reads back in list()). */
export const cpuQuantity = (cores: number) => `${Math.max(1, Math.round(cores * 1000))}m`;
export const memoryQuantity = (mb: number) => `${Math.max(1, Math.round(mb))}Mi`;

/**
 * Session + template → the Kubernetes objects of one session. Pure, so it is unit-tested and
 * schema-validated without a cluster, and its pod template is run for real by `podman kube play`.
 * The Deployment is created with `replicas` (1 to run; hibernate scales it to 0).
 */
/**
 * `vncPassword`: the session's VNC password, given to Xvnc in vncpasswd's form. The NetworkPolicy
 * admits only the agent, but only where the cluster's network plugin enforces policies; the
 * password holds everywhere.
 */
export function buildSessionManifests(
  spec: SessionSpec,
  o: ManifestOptions,
  replicas = 1,
  vncPassword?: string,
): SessionManifests {
  const { template } = spec;
  const name = deploymentName(spec.sessionId);
  const labels = sessionLabels(spec.sessionId, o.agentId, o.pool);
  const annotations = {
    [K8S_ANNOTATIONS.agentId]: o.agentId,
    ...(o.pool ? { [K8S_ANNOTATIONS.pool]: o.pool } : {}),
    [K8S_ANNOTATIONS.template]: template.name,
    [K8S_ANNOTATIONS.user]: spec.user,
    [K8S_ANNOTATIONS.vncPort]: String(template.vnc_port),
  };
  const resources = { cpu: cpuQuantity(template.cpu_limit), memory: memoryQuantity(template.memory_limit_mb) };
  const deployment: SessionManifests['deployment'] = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: o.namespace, labels, annotations },
    spec: {
      replicas,
      selector: { matchLabels: sessionSelector(spec.sessionId) },
      // Never two pods of one session: they would share a ReadWriteOnce home and a desktop.
      strategy: { type: 'Recreate' },
      revisionHistoryLimit: 1,
      template: {
        metadata: { labels, annotations },
        spec: {
          // Sessions never talk to the Kubernetes API: no token in the pod, no service env vars.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // PID 1 is tini (images/*): SIGTERM ends the session at once, 10 s is plenty.
          terminationGracePeriodSeconds: 10,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: SESSION_UID,
            runAsGroup: SESSION_UID,
            // A fresh PVC is root-owned; fsGroup makes it writable by the session user.
            fsGroup: SESSION_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'session',
              image: template.image,
              imagePullPolicy: o.imagePullPolicy,
              env: [
                ...Object.entries(template.env).map(([k, v]) => ({ name: k, value: v })),
                { name: 'STREAMSPACE_SESSION_ID', value: spec.sessionId },
                { name: 'STREAMSPACE_USER', value: spec.user },
                { name: 'VNC_PORT', value: String(template.vnc_port) },
                // From the session's Secret, not a plain value: a `view` role reads Deployments
                // and pods, never Secrets.
                ...(vncPassword
                  ? [
                      {
                        name: VNC_PASSWORD_ENV,
                        valueFrom: { secretKeyRef: { name: vncSecretName(spec.sessionId), key: VNC_SECRET_KEY } },
                      },
                    ]
                  : []),
              ],
              ports: [{ name: 'vnc', containerPort: template.vnc_port, protocol: 'TCP' }],
              // Requests equal limits (Guaranteed QoS): the scheduler reserves what the template
              // promises, which is also what MAX_CPU / MAX_MEMORY count.
              resources: { limits: resources, requests: resources },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: SESSION_UID,
                runAsGroup: SESSION_UID,
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ['ALL'] },
              },
              // Ready once Xvnc listens (checked every second; the agent waits for it before a
              // session counts as started). A startup probe, not a readiness probe: TigerVNC
              // counts every connection that does not authenticate against its source address
              // and refuses that address after five (its blacklist), so probing VNC for the pod's
              // whole life would lock out the agent wherever it shares the kubelet's address.
              startupProbe: { tcpSocket: { port: 'vnc' }, periodSeconds: 1, failureThreshold: 600 },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'shm', mountPath: '/dev/shm' },
                ...(template.persistent_home ? [{ name: 'home', mountPath: '/home/user' }] : []),
              ],
            },
          ],
          volumes: [
            // X and VNC need a writable /tmp of the session's own, in memory (as the Docker driver's tmpfs).
            { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
            { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
            ...(template.persistent_home
              ? [{ name: 'home', persistentVolumeClaim: { claimName: homeClaimName(spec.sessionId) } }]
              : []),
          ],
        },
      },
    },
  };
  const service: SessionManifests['service'] = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName(spec.sessionId), namespace: o.namespace, labels, annotations },
    spec: {
      type: 'ClusterIP',
      selector: sessionSelector(spec.sessionId),
      ports: [{ name: 'vnc', port: SERVICE_VNC_PORT, targetPort: 'vnc', protocol: 'TCP' }],
    },
  };
  const networkPolicy: SessionManifests['networkPolicy'] = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: networkPolicyName(spec.sessionId), namespace: o.namespace, labels, annotations },
    spec: {
      podSelector: { matchLabels: sessionSelector(spec.sessionId) },
      ...egressRules(o.egress ?? 'internet'),
      ingress: [
        {
          // One peer with both selectors: agent pods AND in the agent's namespace (not either).
          _from: [
            {
              podSelector: { matchLabels: { [AGENT_POD_LABEL.key]: AGENT_POD_LABEL.value } },
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': o.agentNamespace } },
            },
          ],
          // The pod's port (policies apply after the Service has translated 5900 to it).
          ports: [{ protocol: 'TCP', port: template.vnc_port }],
        },
      ],
    },
  };
  const manifests: SessionManifests = { deployment, service, networkPolicy };
  if (vncPassword) {
    manifests.vncSecret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: vncSecretName(spec.sessionId), namespace: o.namespace, labels, annotations },
      type: 'Opaque',
      stringData: { [VNC_SECRET_KEY]: obfuscateVncPassword(vncPassword) },
    };
  }
  if (template.persistent_home) {
    manifests.homeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: homeClaimName(spec.sessionId), namespace: o.namespace, labels, annotations },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: o.homeSize } },
        ...(o.storageClass ? { storageClassName: o.storageClass } : {}),
      },
    };
  }
  return manifests;
}

/**
 * The Service and NetworkPolicy belong to the Deployment, so deleting it garbage-collects them.
 * Not the PVC: the home outlives stop and is deleted only with the session. blockOwnerDeletion is
 * left unset: setting it needs `update` on deployments/finalizers, which the agent's Role lacks.
 */
export function ownedBy(deployment: V1Deployment): V1OwnerReference {
  const { name, uid } = deployment.metadata ?? {};
  if (!name || !uid) throw new Error('the Deployment has no name or uid yet (not created?)');
  return { apiVersion: 'apps/v1', kind: 'Deployment', name, uid };
}

/**
 * The wire (YAML/JSON) form of a manifest. client-node's models spell NetworkPolicy's `from` as
 * `_from` (a keyword workaround) and its serializer renames it when sending; files for kubectl,
 * podman and the schema check need the real name.
 */
export function toWire<T>(manifest: T): T {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k === '_from' ? 'from' : k, walk(v)]));
  };
  return walk(manifest) as T;
}
