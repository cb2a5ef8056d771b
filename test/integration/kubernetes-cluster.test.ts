import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import {
  createAgentLogger,
  DriverError,
  KubernetesDriver,
  readCommand,
  readRfbBanner,
  revealVncPassword,
  writeCommand,
  listCommand,
  type KubernetesDriverOptions,
} from '@streamspace/agent';
import { runDriverContract, xtermSession } from '../support/driver-contract.js';
import { XTERM_IMAGE } from '../support/podman.js';
import { LogCapture } from '../support/log-capture.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';
import {
  adminKubeConfig,
  auditEventsOf,
  compactEtcd,
  createSessionNamespace,
  deleteNamespace,
  installAgentRbac,
  kubectl,
  loadImages,
  requireCluster,
  serviceAccountKubeConfig,
} from '../support/kube-cluster.js';

// The Kubernetes driver against a real cluster (scripts/test-cluster.sh: kube-apiserver with RBAC,
// Node authorization, PodSecurity and NodeRestriction; controller manager; scheduler; a kubelet on
// containerd). The driver authenticates as the chart's agent ServiceAccount with a token from the
// TokenRequest API, in a namespace that enforces Pod Security `restricted`: every object it creates
// is admitted for real, and the pods it asks for run on the node.
const NS = `ss-driver-${process.pid}`;
/** The contract's drivers form a pool, as two agents on one cluster and namespace do. */
const POOL = `kubernetes:${NS}@test-cluster`;
let serviceAccount: string;
const agentUser = () => `system:serviceaccount:${NS}:${serviceAccount}`;
let agentKubeConfig: KubeConfig;
let admin: { core: CoreV1Api; apps: AppsV1Api; net: NetworkingV1Api };
const drivers: KubernetesDriver[] = [];

async function makeDriver(options: Partial<KubernetesDriverOptions> = {}): Promise<KubernetesDriver> {
  const driver = new KubernetesDriver({
    kubeConfig: agentKubeConfig,
    agentId: 'k8s-cluster-test',
    namespace: NS,
    agentNamespace: NS,
    homeSize: '64Mi',
    imagePullPolicy: 'IfNotPresent',
    readyTimeoutMs: 120_000,
    logger: createAgentLogger('silent'),
    ...options,
  });
  drivers.push(driver);
  await driver.prepare();
  return driver;
}

const isDriverError = (code: DriverError['code'], message?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof DriverError, `expected a DriverError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return true;
};

const sessionName = (id: string) => `streamspace-session-${id}`;
const exec = (sessionId: string, command: string) =>
  kubectl(['exec', '-n', NS, `deploy/${sessionName(sessionId)}`, '-c', 'session', '--', 'sh', '-c', command]);
const podsOf = async (sessionId: string) =>
  (await admin.core.listNamespacedPod({ namespace: NS, labelSelector: `session-id=${sessionId}` })).items;
const notFound = async (read: () => Promise<unknown>) => {
  try {
    await read();
    return false;
  } catch (error) {
    return (error as { code?: number }).code === 404;
  }
};

before(async () => {
  await requireCluster();
  const kc = await adminKubeConfig();
  admin = {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    net: kc.makeApiClient(NetworkingV1Api),
  };
  await createSessionNamespace(NS);
  serviceAccount = await installAgentRbac(NS);
  await loadImages(XTERM_IMAGE);
  ({ kubeConfig: agentKubeConfig } = await serviceAccountKubeConfig(NS, serviceAccount));
});

after(async () => {
  for (const driver of drivers) await driver.close();
  await deleteNamespace(NS);
});

runDriverContract(
  'kubernetes (real API server and kubelet, the chart’s ServiceAccount)',
  () => makeDriver({ pool: POOL }),
  {
    image: XTERM_IMAGE,
    exec,
    makePoolPeer: () => makeDriver({ agentId: 'k8s-cluster-peer', pool: POOL }),
  },
);

describe('KubernetesDriver on a real cluster', () => {
  let driver: KubernetesDriver;
  const exits: Array<[string, string]> = [];
  before(async () => {
    driver = await makeDriver();
    driver.onUnexpectedExit((id, reason) => exits.push([id, reason]));
  });

  test('start: the objects are admitted (Pod Security restricted), owned by the Deployment; the pod runs unprivileged with its limits and home; VNC answers at the ready pod; delete removes them all', async () => {
    const s = xtermSession({ template: { cpu_limit: 0.25, memory_limit_mb: 256 } });
    const endpoint = await driver.start(s, () => undefined);
    assert.equal(await readRfbBanner(endpoint.host, endpoint.port), 'RFB 003.008\n');

    const name = sessionName(s.sessionId);
    const deployment = await admin.apps.readNamespacedDeployment({ name, namespace: NS });
    const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: deployment.metadata!.uid! }];
    const service = await admin.core.readNamespacedService({ name, namespace: NS });
    const policy = await admin.net.readNamespacedNetworkPolicy({ name, namespace: NS });
    const claim = await admin.core.readNamespacedPersistentVolumeClaim({
      name: `streamspace-home-${s.sessionId}`,
      namespace: NS,
    });
    const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    assert.deepEqual(plain(service.metadata?.ownerReferences), owner);
    assert.deepEqual(plain(policy.metadata?.ownerReferences), owner);
    assert.equal(claim.metadata?.ownerReferences, undefined, 'the home outlives the Deployment');
    assert.equal(claim.status?.phase, 'Bound');
    // The VNC password lives in the session's Secret (a `view` role cannot read it), not in the
    // Deployment; the agent answers VNC Authentication with it.
    const secret = await admin.core.readNamespacedSecret({ name, namespace: NS });
    assert.deepEqual(plain(secret.metadata?.ownerReferences), owner);
    const env = deployment.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === 'VNC_PASSWORD_OBFUSCATED')!;
    assert.equal(env.value, undefined);
    assert.deepEqual(plain(env.valueFrom), { secretKeyRef: { name, key: 'vnc-password' } });
    assert.equal(
      (await driver.vncEndpoint(s.sessionId)).password,
      revealVncPassword(Buffer.from(secret.data!['vnc-password']!, 'base64').toString('latin1')),
    );

    const [pod] = await podsOf(s.sessionId);
    assert.equal(pod?.spec?.nodeName, 'streamspace-node');
    assert.equal(endpoint.host, pod?.status?.podIP, 'the agent connects to the ready pod’s own address');
    const inside = await exec(
      s.sessionId,
      'id -u; id -g; echo "$STREAMSPACE_SESSION_ID $VNC_PORT"; touch "$HOME/.probe" && echo home-writable; ' +
        'grep -E "^(NoNewPrivs|CapEff)" /proc/self/status; cat /sys/fs/cgroup/memory/memory.limit_in_bytes ' +
        '/sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us',
    );
    assert.deepEqual(inside.trim().split('\n'), [
      '1000',
      '1000',
      `${s.sessionId} 5900`,
      'home-writable',
      'CapEff:\t0000000000000000',
      'NoNewPrivs:\t1',
      String(256 * 1024 * 1024),
      '25000',
      '100000',
    ]);
    const namespace = await admin.core.readNamespace({ name: NS });
    assert.equal(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');

    await driver.delete(s.sessionId);
    await waitFor(
      'the Deployment, Service, NetworkPolicy, Secret and PVC to be gone',
      async () =>
        (await notFound(() => admin.apps.readNamespacedDeployment({ name, namespace: NS }))) &&
        (await notFound(() => admin.core.readNamespacedService({ name, namespace: NS }))) &&
        (await notFound(() => admin.net.readNamespacedNetworkPolicy({ name, namespace: NS }))) &&
        (await notFound(() => admin.core.readNamespacedSecret({ name, namespace: NS }))) &&
        (await notFound(() =>
          admin.core.readNamespacedPersistentVolumeClaim({ name: `streamspace-home-${s.sessionId}`, namespace: NS }),
        )) &&
        (await podsOf(s.sessionId)).length === 0,
      60_000,
      250,
    );
  });

  test('Pod Security restricted is enforced in the session namespace: a pod without our restrictions is refused', async () => {
    await assert.rejects(
      kubectl(
        ['apply', '-n', NS, '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'unrestricted-probe' },
          spec: { containers: [{ name: 'c', image: XTERM_IMAGE }] },
        }),
      ),
      /violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false.*runAsNonRoot != true.*seccompProfile/,
    );
  });

  test('an image the node cannot pull fails the start within seconds, as image_not_found with the kubelet’s words', async () => {
    const s = xtermSession({ template: { image: 'streamspace/no-such-image:1.0', persistent_home: false } });
    const began = Date.now();
    await assert.rejects(
      driver.start(s, () => undefined),
      isDriverError('image_not_found', /(ImagePullBackOff|ErrImagePull).*no-such-image.*registry/s),
    );
    const seconds = (Date.now() - began) / 1000;
    process.stdout.write(`# image pull failure reported after ${seconds.toFixed(1)} s\n`);
    await driver.delete(s.sessionId);
  });

  test('a request no node can fit is Unschedulable: failed with the scheduler’s reason', async () => {
    const s = xtermSession({ template: { cpu_limit: 64, persistent_home: false } });
    await assert.rejects(
      driver.start(s, () => undefined),
      isDriverError('start_failed', /Unschedulable: 0\/1 nodes are available: 1 Insufficient cpu.*lower the template/s),
    );
    await driver.delete(s.sessionId);
  });

  test('a desktop that cannot start fails the start with the exit code and its last log lines', async () => {
    // Xvnc cannot listen on port 1 as uid 1000, so the session's entry point gives up and exits.
    const s = xtermSession({
      template: { vnc_port: 1, cpu_limit: 0.25, memory_limit_mb: 256, persistent_home: false },
    });
    await assert.rejects(
      driver.start(s, () => undefined),
      isDriverError(
        'start_failed',
        /(ContainerExited|CrashLoopBackOff): container exited with code 1.*last log lines:.*Xvnc did not start/s,
      ),
    );
    await driver.delete(s.sessionId);
  });

  test('a running session whose pod is deleted is reported once through onUnexpectedExit', async () => {
    const s = xtermSession({ template: { cpu_limit: 0.25, memory_limit_mb: 256, persistent_home: false } });
    await driver.start(s, () => undefined);
    const reported = new Promise<string>((resolve) =>
      driver.onUnexpectedExit((id, reason) => id === s.sessionId && resolve(reason)),
    );
    const [pod] = await podsOf(s.sessionId);
    await kubectl(['delete', 'pod', '-n', NS, pod!.metadata!.name!, '--wait=false']);
    assert.match(await reported, /was deleted while the session ran/);
    assert.equal(exits.filter(([id]) => id === s.sessionId).length, 1);
    await driver.delete(s.sessionId);
  });

  test('a watch resumed after etcd compaction gets 410 Gone, lists again and misses no transition', async () => {
    const { server } = agentKubeConfig.getCurrentCluster()!;
    const url = new URL(server);
    const proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
    const throughProxy = new KubeConfig();
    throughProxy.loadFromString(
      JSON.stringify({
        ...JSON.parse(agentKubeConfig.exportConfig()),
        clusters: agentKubeConfig.clusters.map((c) => ({
          name: c.name,
          cluster: { server: `https://127.0.0.1:${proxy.port}`, 'certificate-authority-data': c.caData },
        })),
      }),
    );
    const logs = new LogCapture();
    const watched = await makeDriver({
      kubeConfig: throughProxy,
      agentId: 'k8s-cluster-410',
      watchTimeoutSeconds: 1,
      logger: createAgentLogger('debug', logs),
    });
    try {
      const s = xtermSession({ template: { cpu_limit: 0.25, memory_limit_mb: 256, persistent_home: false } });
      await watched.start(s, () => undefined);
      const reported = new Promise<string>((resolve) =>
        watched.onUnexpectedExit((id, reason) => id === s.sessionId && resolve(reason)),
      );
      // The agent's watch ends (timeoutSeconds) and its next request waits at the proxy: from
      // now on the agent sees nothing until the proxy lets it through.
      await proxy.hold();
      const [before] = await podsOf(s.sessionId);
      await kubectl(['delete', 'pod', '-n', NS, before!.metadata!.name!, '--wait=true']);
      const replaced = await waitFor(
        'the Deployment to create a new pod',
        async () => (await podsOf(s.sessionId)).find((p: V1Pod) => p.metadata?.uid !== before!.metadata?.uid),
        30_000,
        100,
      );
      await compactEtcd();
      proxy.release();
      assert.match(await reported, new RegExp(`pod ${before!.metadata!.name} was deleted while the session ran`));
      assert.match(
        logs.text,
        /pod watch expired \(410 Gone\); listing again/,
        'the resumed watch was answered 410 Gone',
      );
      // The new pod, created while the agent saw nothing, is in its cache: VNC is served from it.
      const endpoint = await waitFor(
        'the agent to follow the replacement pod',
        () => watched.vncEndpoint(s.sessionId).catch(() => undefined),
        60_000,
        100,
      );
      assert.equal(
        endpoint.host,
        (await podsOf(s.sessionId)).find((p) => p.metadata?.uid === replaced.metadata?.uid)?.status?.podIP,
      );
      await watched.delete(s.sessionId);
    } finally {
      proxy.release();
      await watched.close();
      await proxy.close();
    }
  });

  test('files: an upload and a download through exec (pods/exec) as uid 1000, equal sha256; a symlink out of the home refused', async () => {
    const s = xtermSession({ template: { cpu_limit: 0.25, memory_limit_mb: 256, persistent_home: false } });
    await driver.start(s, () => undefined);
    const size = 20 * 1024 * 1024;
    const data = randomBytes(size);
    const sha = createHash('sha256').update(data).digest('hex');
    const chunks = Array.from({ length: 20 }, (_, i) => data.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    let said = '';
    const written = await driver.exec(s.sessionId, writeCommand('/home/user/up.bin', size), {
      stdin: Readable.from(chunks),
      stdout: new PassThrough().on('data', (c: Buffer) => (said += c)),
      signal: new AbortController().signal,
    });
    assert.equal(written.exitCode, 0, written.stderr);
    assert.equal(said, `ready\ndone ${size}\n`);
    const inside = await exec(s.sessionId, 'stat -c "%u %g %s" /home/user/up.bin; sha256sum /home/user/up.bin');
    assert.deepEqual(inside.trim().split('\n'), [`1000 1000 ${size}`, `${sha}  /home/user/up.bin`]);

    const hash = createHash('sha256');
    let bytes = 0;
    let head = '';
    const read = await driver.exec(s.sessionId, readCommand('/home/user/up.bin'), {
      stdout: new PassThrough().on('data', (c: Buffer) => {
        // The first line is the script's `ready <size>`; the file follows.
        if (!head.endsWith('\n')) {
          const end = c.indexOf(0x0a);
          head += c.subarray(0, end < 0 ? c.length : end + 1).toString();
          if (end < 0) return;
          c = c.subarray(end + 1);
        }
        bytes += c.length;
        hash.update(c);
      }),
      signal: new AbortController().signal,
    });
    assert.equal(read.exitCode, 0, read.stderr);
    assert.equal(head, `ready ${size}\n`);
    assert.equal(bytes, size);
    assert.equal(hash.digest('hex'), sha);

    await exec(s.sessionId, 'ln -s /etc /home/user/etc-link');
    const refused = await driver.exec(s.sessionId, listCommand('/home/user/etc-link'), {
      stdout: new PassThrough(),
      signal: new AbortController().signal,
    });
    assert.equal(refused.exitCode, 3);
    assert.match(refused.stderr, /through a symlink to \/etc, outside the home/);
    await driver.delete(s.sessionId);
  });

  test('a restarted agent finds its sessions from the labels, and only its own', async () => {
    const s = xtermSession({ template: { cpu_limit: 0.25, memory_limit_mb: 256, persistent_home: false } });
    await driver.start(s, () => undefined);
    const again = await makeDriver();
    assert.deepEqual(
      (await again.list()).filter((x) => x.sessionId === s.sessionId),
      [{ sessionId: s.sessionId, state: 'running', cpu: 0.25, memoryGb: 0.25 }],
    );
    const other = await makeDriver({ agentId: 'another-agent' });
    assert.deepEqual(await other.list(), []);
    await driver.delete(s.sessionId);
  });

  test('a ServiceAccount without the Role is refused (403) with the missing permission and where the Role comes from', async () => {
    await kubectl(['create', 'serviceaccount', 'no-role', '-n', NS]);
    const { kubeConfig } = await serviceAccountKubeConfig(NS, 'no-role');
    await assert.rejects(
      makeDriver({ kubeConfig }),
      isDriverError(
        'platform_unavailable',
        /403 pods is forbidden: User "system:serviceaccount:.*:no-role" cannot list resource "pods".*deploy\/helm\/streamspace/,
      ),
    );
  });

  test('an unreachable API server is platform_unavailable at prepare, naming the server', async () => {
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 1 });
    const port = proxy.port;
    await proxy.close();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(
      JSON.stringify({
        ...JSON.parse(agentKubeConfig.exportConfig()),
        clusters: [{ name: 'test', cluster: { server: `https://127.0.0.1:${port}` } }],
      }),
    );
    await assert.rejects(
      makeDriver({ kubeConfig }),
      isDriverError('platform_unavailable', new RegExp(`listing pods in namespace ${NS} at https://127.0.0.1:${port}`)),
    );
  });
});

// Last in this file: by now the agent has done everything it does. RBAC is enforced by the API
// server, so nothing it used was refused; this checks the other direction, from the audit log.
test('the chart’s Role grants the agent nothing it does not use, and refused it nothing', async () => {
  const events = (await auditEventsOf(agentUser())).filter((e) => e.objectRef?.namespace === NS);
  const key = (group: string | undefined, resource: string, verb: string) =>
    `${group ? `${group}/` : ''}${resource}:${verb}`;
  const used = new Set(
    events
      .filter((e) => e.objectRef?.resource && e.responseStatus?.code !== 403)
      .map((e) =>
        key(
          e.objectRef!.apiGroup,
          `${e.objectRef!.resource}${e.objectRef!.subresource ? `/${e.objectRef!.subresource}` : ''}`,
          e.verb,
        ),
      ),
  );
  const refused = events.filter((e) => e.responseStatus?.code === 403);
  assert.deepEqual(refused, [], 'the agent’s ServiceAccount was refused something it needed');
  const role = JSON.parse(await kubectl(['get', 'role', serviceAccount, '-n', NS, '-o', 'json'])) as {
    rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  };
  const granted = new Set(
    role.rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => key(g, res, v)))),
    ),
  );
  assert.deepEqual(
    [...granted].filter((g) => !used.has(g)).sort(),
    [],
    `granted but never used (used: ${[...used].sort().join(' ')})`,
  );
});
