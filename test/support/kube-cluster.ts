import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { helm as runHelm, repoRoot as REPO_ROOT } from './kube-tools.js';

const run = promisify(execFile);
const SCRIPT = 'scripts/test-cluster.sh';

/** What `scripts/test-cluster.sh env` prints about the running cluster. */
export interface ClusterTools {
  kubeconfig: string;
  kubectl: string;
  /** The API server's audit log (every ServiceAccount request, metadata only). */
  auditLog: string;
  /** etcd on loopback: its HTTP gateway compacts. */
  etcdUrl: string;
}

let tools: Promise<ClusterTools> | undefined;

/**
 * The real cluster `scripts/test-cluster.sh up` started (`npm test` starts it for the run). Not up
 * is a failure that says how to bring it up, never a skip.
 */
export function requireCluster(): Promise<ClusterTools> {
  tools ??= (async () => {
    let stdout: string;
    try {
      ({ stdout } = await run('bash', [SCRIPT, 'env'], { cwd: REPO_ROOT }));
    } catch (error) {
      throw new Error(
        `no test cluster is running: start one with \`${SCRIPT} up\` (npm test does it)\n${(error as { stderr?: string }).stderr ?? ''}`,
        { cause: error },
      );
    }
    const value = (key: string) => {
      const line = stdout.split('\n').find((l) => l.startsWith(`${key}=`));
      if (!line) throw new Error(`${SCRIPT} env printed no ${key}= line`);
      return line.slice(key.length + 1);
    };
    return {
      kubeconfig: value('KUBECONFIG'),
      kubectl: value('KUBECTL'),
      auditLog: value('AUDIT_LOG'),
      etcdUrl: value('ETCD_URL'),
    };
  })();
  return tools;
}

/** The cluster admin's KubeConfig (system:masters): for the tests' own checks and setup only. */
export async function adminKubeConfig(): Promise<KubeConfig> {
  const kc = new KubeConfig();
  kc.loadFromFile((await requireCluster()).kubeconfig);
  return kc;
}

async function exec(binary: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: REPO_ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${binary} ${args.join(' ')} exited with ${code}:\n${err}`)),
    );
    child.stdin.end(input ?? '');
  });
}

/** kubectl as the cluster admin. */
export async function kubectl(args: string[], input?: string): Promise<string> {
  const { kubectl: bin, kubeconfig } = await requireCluster();
  return exec(bin, ['--kubeconfig', kubeconfig, ...args], input);
}

/** kubectl with a kubeconfig of the caller's (`--kubeconfig` among `args`), as a user types it. */
export async function kubectlWith(args: string[]): Promise<string> {
  return exec((await requireCluster()).kubectl, args);
}

/** helm as the cluster admin (`helm template` needs no cluster, but the binary comes from the same build). */
export async function helm(args: string[]): Promise<string> {
  return runHelm(['--kubeconfig', (await requireCluster()).kubeconfig, ...args]);
}

/** Copies images from podman into the node's containerd (the node pulls from no registry here). */
export async function loadImages(...images: string[]): Promise<void> {
  await run('bash', [SCRIPT, 'load-image', ...images], { cwd: REPO_ROOT, maxBuffer: 1 << 20 });
}

/**
 * A namespace for sessions as production has it: Pod Security `restricted` enforced, so a pod
 * spec that asks for more than it should is refused at admission.
 */
export async function createSessionNamespace(name: string): Promise<void> {
  await deleteAbandonedNamespaces();
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          [OWNER_LABEL]: String(process.pid),
        },
      },
    }),
  );
}

const OWNER_LABEL = 'streamspace.test/owner-pid';

/**
 * Namespaces a test process created and never removed because it was killed (a file that timed
 * out skips its `after`). Their sessions keep their CPU requests on the one node, so every later
 * start fails Unschedulable: "Insufficient cpu". The owner's pid is on the namespace; a pid that
 * is gone means nobody will clean up.
 */
async function deleteAbandonedNamespaces(): Promise<void> {
  const listed = JSON.parse(await kubectl(['get', 'namespaces', '-l', OWNER_LABEL, '-o', 'json'])) as {
    items: { metadata: { name: string; labels: Record<string, string> } }[];
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  for (const { metadata } of listed.items)
    if (!alive(Number(metadata.labels[OWNER_LABEL]))) await deleteNamespace(metadata.name);
}

export async function deleteNamespace(name: string): Promise<void> {
  // Waits: a pod still terminating holds its CPU on the node, which the next test file needs.
  await kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait=true', '--timeout=120s']);
}

/**
 * A KubeConfig that authenticates as a ServiceAccount with a token from the TokenRequest API, as
 * a pod of that account (or `kubectl create token`) gets it: RBAC applies in full.
 */
export async function serviceAccountKubeConfig(
  namespace: string,
  serviceAccount: string,
  server?: string,
): Promise<{ kubeConfig: KubeConfig; token: string; yaml: string }> {
  const admin = await adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status!.token;
  const cluster = admin.getCurrentCluster()!;
  const ca = await readFile(cluster.caFile!, 'utf8');
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${server ?? cluster.server}
    certificate-authority-data: ${Buffer.from(ca).toString('base64')}
users:
- name: ${serviceAccount}
  user:
    token: ${token}
contexts:
- name: test
  context: {cluster: test, user: ${serviceAccount}, namespace: ${namespace}}
current-context: test
`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(yaml);
  return { kubeConfig, token, yaml };
}

/**
 * Compacts etcd up to its current revision: every resourceVersion before it is gone, so a watch
 * resumed from one of them gets 410 Gone.
 */
export async function compactEtcd(): Promise<number> {
  const { etcdUrl } = await requireCluster();
  const status = (await (
    await fetch(`${etcdUrl}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
    })
  ).json()) as { header: { revision: string } };
  const revision = Number(status.header.revision);
  const response = await fetch(`${etcdUrl}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision, physical: true }),
  });
  if (!response.ok)
    throw new Error(`etcd compaction to ${revision} failed: ${response.status} ${await response.text()}`);
  return revision;
}

/**
 * The agent's ServiceAccount, Role and RoleBinding exactly as the Helm chart renders them
 * (`helm template --show-only`), applied in `namespace` as both the release and session namespace.
 * Returns the ServiceAccount's name.
 */
export async function installAgentRbac(namespace: string): Promise<string> {
  const rendered = await helm([
    'template',
    'streamspace',
    'deploy/helm/streamspace',
    '--namespace',
    namespace,
    '--set',
    'k8sAgent.enabled=true',
    '--set',
    `k8sAgent.config.sessionNamespace=${namespace}`,
    '--show-only',
    'templates/k8s-agent-serviceaccount.yaml',
    '--show-only',
    'templates/k8s-agent-rbac.yaml',
  ]);
  await kubectl(['apply', '--namespace', namespace, '-f', '-'], rendered);
  const name = /kind: ServiceAccount\nmetadata:\n {2}name: (\S+)/.exec(rendered)?.[1];
  if (!name) throw new Error(`the chart rendered no agent ServiceAccount:\n${rendered}`);
  return name;
}

export interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; apiGroup?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  stage: string;
}

/** The API server's audit events (metadata only) of one user, from the cluster's audit log. */
export async function auditEventsOf(username: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for (const line of (await readFile((await requireCluster()).auditLog, 'utf8')).split('\n')) {
    if (!line.includes(username)) continue;
    const event = JSON.parse(line) as AuditEvent;
    if (event.user.username === username && event.stage !== 'RequestReceived') events.push(event);
  }
  return events;
}
