import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Progress } from '@streamspace/protocol';
import { DriverError, type SessionSpec, type VncEndpoint } from '../session-driver.js';
import { revealVncPassword } from '../../tunnel/vnc-password.js';
import { KubernetesDriver, type KubernetesDriverOptions } from './kubernetes-driver.js';
import { FakeKubeApi, type RecordedRequest } from './testing/fake-kube-api.js';

const hostPort = (endpoint: VncEndpoint) => ({ host: endpoint.host, port: endpoint.port });

const NS = 'streamspace';
const IMAGE = 'streamspace/xterm:latest';
const APPS = `/apis/apps/v1/namespaces/${NS}/deployments`;
const SERVICES = `/api/v1/namespaces/${NS}/services`;
const PVCS = `/api/v1/namespaces/${NS}/persistentvolumeclaims`;
const NETPOLS = `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`;
const PODS = `/api/v1/namespaces/${NS}/pods`;

type Pod = ReturnType<FakeKubeApi['podsOf']>[number];
const schedule = (pod: Pod) => {
  pod.spec.nodeName = 'node-1';
  pod.status = {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: [
      {
        name: 'session',
        image: IMAGE,
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
      },
    ],
  };
};
const run = (pod: Pod) => {
  pod.spec.nodeName = 'node-1';
  pod.status = {
    phase: 'Running',
    conditions: [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: [
      {
        name: 'session',
        image: IMAGE,
        imageID: '',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: new Date().toISOString() } },
      },
    ],
  };
};
const waiting = (pod: Pod, reason: string, message: string, lastState?: object) => {
  pod.spec.nodeName = 'node-1';
  pod.status = {
    phase: reason === 'CrashLoopBackOff' ? 'Running' : 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: [
      {
        name: 'session',
        image: IMAGE,
        imageID: '',
        ready: false,
        restartCount: lastState ? 1 : 0,
        state: { waiting: { reason, message } },
        ...(lastState ? { lastState } : {}),
      },
    ],
  };
};

const spec = (template: Partial<SessionSpec['template']> = {}): SessionSpec => ({
  sessionId: randomUUID(),
  user: 'alice',
  template: {
    name: 'xterm',
    image: IMAGE,
    vnc_port: 5900,
    cpu_limit: 0.5,
    memory_limit_mb: 512,
    env: {},
    persistent_home: true,
    ...template,
  },
});

/** Progress as reported, and a promise per step for the test to wait on (no sleeps). */
function progressLog() {
  const seen: Progress[] = [];
  const waiters: Array<{ step: string; resolve: () => void }> = [];
  return {
    seen,
    report: (p: Progress) => {
      seen.push(p);
      for (const w of waiters.filter((x) => x.step === p.step)) w.resolve();
    },
    reached: (step: string) =>
      seen.some((p) => p.step === step)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ step, resolve })),
  };
}

const isDriverError = (code: DriverError['code'], message?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof DriverError, `expected a DriverError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return true;
};

const writes = (requests: RecordedRequest[]) =>
  requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path} ${r.status}`);

describe('KubernetesDriver against a fake Kubernetes API', () => {
  let api: FakeKubeApi;
  let rfb: Server;
  let rfbPort: number;
  const drivers: KubernetesDriver[] = [];
  const makeDriver = async (options: Partial<KubernetesDriverOptions> = {}) => {
    const driver = new KubernetesDriver({
      kubeConfig: api.kubeConfig(),
      agentId: 'k8s-test',
      namespace: NS,
      agentNamespace: 'streamspace-system',
      homeSize: '5Gi',
      imagePullPolicy: 'IfNotPresent',
      readyTimeoutMs: 60_000,
      logger: pino({ level: 'silent' }),
      resolveEndpoint: () => ({ host: '127.0.0.1', port: rfbPort }),
      eventPollMs: 50,
      ...options,
    });
    drivers.push(driver);
    await driver.prepare();
    return driver;
  };
  let driver: KubernetesDriver;
  const exits: Array<[string, string]> = [];

  before(async () => {
    api = await FakeKubeApi.start();
    // Stands in for Xvnc behind the session's Service.
    rfb = createServer((socket) => socket.end('RFB 003.008\n'));
    await new Promise<void>((resolve) => rfb.listen(0, '127.0.0.1', resolve));
    rfbPort = (rfb.address() as AddressInfo).port;
    driver = await makeDriver();
    driver.onUnexpectedExit((id, reason) => exits.push([id, reason]));
  });
  after(async () => {
    for (const d of drivers) await d.close();
    await api.close();
    rfb.close();
  });

  const s1 = spec();
  const name1 = `streamspace-session-${s1.sessionId}`;

  test('start: PVC, Deployment at 0 replicas, then NetworkPolicy and Service owned by it, then 1 replica; resolves when VNC answers', async () => {
    const from = api.requests.length;
    const progress = progressLog();
    const started = driver.start(s1, progress.report);
    await progress.reached('scheduling');
    const [pod] = api.podsOf(s1.sessionId);
    api.addEvent(pod!, 'Normal', 'Scheduled', `Successfully assigned ${NS}/${pod!.metadata.name} to node-1`);
    api.addEvent(pod!, 'Normal', 'Pulling', `Pulling image "${IMAGE}"`);
    api.updatePod(pod!.metadata.name, schedule);
    await progress.reached('image');
    api.updatePod(pod!.metadata.name, run);
    assert.deepEqual(hostPort(await started), { host: '127.0.0.1', port: rfbPort });

    const requests = api.requests.slice(from);
    assert.deepEqual(writes(requests), [
      `POST ${PVCS} 201`,
      `POST ${APPS} 201`,
      `POST ${NETPOLS} 201`,
      `POST ${SERVICES} 201`,
      `PATCH ${APPS}/${name1} 200`,
    ]);
    const body = (path: string) => requests.find((r) => r.method === 'POST' && r.path === path)!.body as any;
    const labels = {
      app: 'session',
      'session-id': s1.sessionId,
      'app.kubernetes.io/managed-by': 'streamspace',
      'streamspace.io/agent-id': 'k8s-test',
    };
    const deployment = body(APPS);
    assert.equal(deployment.spec.replicas, 0, 'no pod before its NetworkPolicy exists');
    assert.deepEqual(deployment.metadata.labels, labels);
    assert.deepEqual(deployment.spec.template.metadata.labels, labels);
    assert.equal(deployment.spec.template.spec.containers[0].image, IMAGE);
    const uid = api.get('deployments', NS, name1)!.metadata.uid;
    const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: name1, uid }];
    assert.deepEqual(body(NETPOLS).metadata.ownerReferences, owner);
    assert.deepEqual(body(SERVICES).metadata.ownerReferences, owner);
    assert.equal(body(PVCS).metadata.ownerReferences, undefined, 'the home outlives the Deployment');
    assert.deepEqual(body(PVCS).metadata.labels, labels);
    // What the client put on the wire: `from` (the model's `_from`), the one thing keeping VNC private.
    assert.deepEqual(body(NETPOLS).spec.ingress, [
      {
        from: [
          {
            podSelector: { matchLabels: { 'streamspace.io/component': 'agent' } },
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'streamspace-system' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 5900 }],
      },
    ]);
    // The session's VNC password: on the Deployment in vncpasswd's form, and on the endpoint for the agent.
    const env = body(APPS).spec.template.spec.containers[0].env as Array<{ name: string; value: string }>;
    const stored = env.find((e) => e.name === 'VNC_PASSWORD_OBFUSCATED')!.value;
    assert.equal((await driver.vncEndpoint(s1.sessionId)).password, revealVncPassword(stored));
    assert.deepEqual(body(SERVICES).spec.ports, [{ name: 'vnc', port: 5900, targetPort: 'vnc', protocol: 'TCP' }]);
    const patch = requests.find((r) => r.method === 'PATCH')!;
    assert.equal(patch.contentType, 'application/merge-patch+json');
    assert.deepEqual(patch.body, { spec: { replicas: 1 } });

    const steps = progress.seen.map((p) => p.step);
    assert.deepEqual([...new Set(steps)], ['deployment', 'scheduling', 'image', 'vnc']);
    assert.ok(progress.seen.some((p) => p.message === `Pulling image "${IMAGE}"`));
    assert.deepEqual(await driver.list(), [{ sessionId: s1.sessionId, state: 'running', cpu: 0.5, memoryGb: 0.5 }]);
    assert.deepEqual(hostPort(await driver.vncEndpoint(s1.sessionId)), { host: '127.0.0.1', port: rfbPort });
  });

  test('the default endpoint is the Service’s cluster DNS name on 5900', async () => {
    const plain = await makeDriver({ resolveEndpoint: undefined });
    assert.deepEqual(hostPort(await plain.vncEndpoint(s1.sessionId)), { host: `${name1}.${NS}.svc`, port: 5900 });
    await plain.close();
  });

  test('starting again is idempotent: every create answers 409 AlreadyExists, nothing is scaled again', async () => {
    const from = api.requests.length;
    assert.deepEqual(hostPort(await driver.start(s1, () => undefined)), { host: '127.0.0.1', port: rfbPort });
    assert.deepEqual(writes(api.requests.slice(from)), [
      `POST ${PVCS} 409`,
      `POST ${APPS} 409`,
      `POST ${NETPOLS} 409`,
      `POST ${SERVICES} 409`,
    ]);
  });

  test('hibernate scales to 0 keeping the PVC, resume scales to 1; stop is idempotent; no exit is reported', async () => {
    let from = api.requests.length;
    await driver.hibernate(s1.sessionId);
    assert.deepEqual(writes(api.requests.slice(from)), [`PATCH ${APPS}/${name1} 200`]);
    assert.deepEqual(api.requests.find((r, i) => i >= from && r.method === 'PATCH')?.body, { spec: { replicas: 0 } });
    assert.equal(api.podsOf(s1.sessionId).length, 0);
    assert.ok(api.get('persistentvolumeclaims', NS, `streamspace-home-${s1.sessionId}`));
    assert.deepEqual(await driver.list(), [{ sessionId: s1.sessionId, state: 'stopped', cpu: 0.5, memoryGb: 0.5 }]);
    await assert.rejects(driver.vncEndpoint(s1.sessionId), isDriverError('not_found', /not running/));

    api.onPodCreated = (pod) => api.updatePod(pod.metadata.name, run);
    from = api.requests.length;
    assert.deepEqual(hostPort(await driver.resume(s1.sessionId, () => undefined)), {
      host: '127.0.0.1',
      port: rfbPort,
    });
    assert.deepEqual(writes(api.requests.slice(from)), [`PATCH ${APPS}/${name1} 200`]);
    assert.equal((await driver.list())[0]?.state, 'running');

    await driver.stop(s1.sessionId);
    await driver.stop(s1.sessionId);
    assert.equal(api.get('deployments', NS, name1)?.spec.replicas, 0);
    assert.deepEqual(exits, [], 'stopping on purpose is not a crash');
  });

  test('delete removes everything explicitly; objects already gone (404) are fine; a second delete succeeds', async () => {
    let from = api.requests.length;
    await driver.delete(s1.sessionId);
    // The fake's garbage collector removed the owned Service and NetworkPolicy with the Deployment.
    assert.deepEqual(writes(api.requests.slice(from)), [
      `DELETE ${APPS}/${name1} 200`,
      `DELETE ${SERVICES}/${name1} 404`,
      `DELETE ${NETPOLS}/${name1} 404`,
      `DELETE ${PVCS}/streamspace-home-${s1.sessionId} 200`,
    ]);
    assert.equal(
      api.requests.find((r, i) => i >= from && r.method === 'DELETE')?.query.propagationPolicy,
      'Background',
    );
    from = api.requests.length;
    await driver.delete(s1.sessionId);
    assert.deepEqual(
      writes(api.requests.slice(from)).map((w) => w.split(' ')[2]),
      ['404', '404', '404', '404'],
    );
    assert.deepEqual(await driver.list(), []);
  });

  test('unknown sessions are not_found (404), not silent successes', async () => {
    const unknown = randomUUID();
    await assert.rejects(driver.stop(unknown), isDriverError('not_found'));
    await assert.rejects(
      driver.resume(unknown, () => undefined),
      isDriverError('not_found'),
    );
    await assert.rejects(driver.vncEndpoint(unknown), isDriverError('not_found'));
  });

  test('ImagePullBackOff fails the start at once as image_not_found, with the reason and the event text', async () => {
    const s = spec({ image: 'streamspace/no-such-image:latest' });
    api.onPodCreated = (pod) => {
      api.addEvent(pod, 'Normal', 'Pulling', 'Pulling image "streamspace/no-such-image:latest"');
      api.addEvent(
        pod,
        'Warning',
        'Failed',
        'Failed to pull image "streamspace/no-such-image:latest": rpc error: code = NotFound desc = failed to resolve reference',
      );
      api.updatePod(pod.metadata.name, (p) =>
        waiting(p, 'ImagePullBackOff', 'Back-off pulling image "streamspace/no-such-image:latest"'),
      );
    };
    const began = Date.now();
    await assert.rejects(
      driver.start(s, () => undefined),
      isDriverError(
        'image_not_found',
        /ImagePullBackOff: Back-off pulling image .*\(event Failed: Failed to pull image .*NotFound.*\).*registry/s,
      ),
    );
    assert.ok(Date.now() - began < 10_000, 'fails on the status, not after SESSION_READY_TIMEOUT (60 s here)');
    await driver.delete(s.sessionId);
  });

  test('CrashLoopBackOff fails the start with the exit code and the last log lines', async () => {
    const s = spec({ persistent_home: false });
    api.onPodCreated = (pod) => {
      api.logs.set(
        pod.metadata.name,
        'Xvnc TigerVNC 1.12\nFatal server error: Cannot establish any listening sockets\n',
      );
      api.updatePod(pod.metadata.name, (p) =>
        waiting(p, 'CrashLoopBackOff', 'back-off 10s restarting failed container=session', {
          terminated: { exitCode: 1, reason: 'Error' },
        }),
      );
    };
    const from = api.requests.length;
    await assert.rejects(
      driver.start(s, () => undefined),
      isDriverError(
        'start_failed',
        /CrashLoopBackOff: container exited with code 1 \(Error\).*Fatal server error: Cannot establish/s,
      ),
    );
    const log = api.requests.slice(from).find((r) => r.path.endsWith('/log'));
    assert.deepEqual(log?.query, { container: 'session', previous: 'true', tailLines: '10' });
    assert.equal(
      writes(api.requests.slice(from)).some((w) => w.startsWith(`POST ${PVCS}`)),
      false,
      'no PVC without a persistent home',
    );
    await driver.delete(s.sessionId);
  });

  test('Unschedulable fails the start at once with the scheduler’s event text', async () => {
    const s = spec();
    const text =
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    api.onPodCreated = (pod) => {
      api.addEvent(pod, 'Warning', 'FailedScheduling', text);
      api.updatePod(pod.metadata.name, (p) => {
        p.status = {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: text }],
        };
      });
    };
    await assert.rejects(
      driver.start(s, () => undefined),
      isDriverError('start_failed', /Unschedulable: 0\/3 nodes are available: 3 Insufficient cpu.*lower the template/),
    );
    await driver.delete(s.sessionId);
  });

  test('a crash of a running session is reported once through onUnexpectedExit, from the watch', async () => {
    const s = spec({ persistent_home: false });
    api.onPodCreated = (pod) => api.updatePod(pod.metadata.name, run);
    await driver.start(s, () => undefined);
    const [pod] = api.podsOf(s.sessionId);
    api.logs.set(pod!.metadata.name, 'xterm: fatal IO error\n');
    const crashed = new Promise<string>((resolve) =>
      driver.onUnexpectedExit((id, reason) => id === s.sessionId && resolve(reason)),
    );
    const crash = (p: Pod) =>
      waiting(p, 'CrashLoopBackOff', 'back-off 10s', { terminated: { exitCode: 2, reason: 'Error' } });
    api.updatePod(pod!.metadata.name, crash);
    api.updatePod(pod!.metadata.name, crash);
    assert.match(await crashed, /CrashLoopBackOff: container exited with code 2.*xterm: fatal IO error/s);
    assert.deepEqual(exits.filter(([id]) => id === s.sessionId).length, 1);
    await driver.delete(s.sessionId);
  });

  test('a watch ended by 410 Gone is resumed by listing again; a crash during the gap is still reported', async () => {
    const s = spec({ persistent_home: false });
    api.onPodCreated = (pod) => api.updatePod(pod.metadata.name, run);
    await driver.start(s, () => undefined);
    const [pod] = api.podsOf(s.sessionId);
    const lists = () => api.requests.filter((r) => r.path === PODS && r.query.watch !== 'true').length;
    const listsBefore = lists();
    const crashed = new Promise<string>((resolve) =>
      driver.onUnexpectedExit((id, reason) => id === s.sessionId && resolve(reason)),
    );
    const reopened = api.watchOpened();
    api.expireWatches();
    // No watch is open now: only a fresh list can show this.
    api.updatePod(pod!.metadata.name, (p) => {
      run(p);
      p.status.containerStatuses[0].restartCount = 1;
      p.status.containerStatuses[0].lastState = { terminated: { exitCode: 137, reason: 'OOMKilled' } };
    });
    assert.match(await crashed, /OOMKilled: container exited with code 137 \(out of memory: OOMKilled\)/);
    await reopened;
    assert.equal(lists(), listsBefore + 1, 'listed once again after the 410');
    const watches = api.requests.filter((r) => r.path === PODS && r.query.watch === 'true');
    const last = watches.at(-1)!;
    assert.equal(
      last.query.labelSelector,
      'app.kubernetes.io/managed-by=streamspace,app=session,streamspace.io/agent-id=k8s-test',
    );
    assert.ok(Number(last.query.resourceVersion) > Number(watches.at(-2)!.query.resourceVersion));
    await driver.delete(s.sessionId);
  });

  test('a restarted agent finds its sessions from the labels, and only its own', async () => {
    const s = spec({ persistent_home: false });
    api.onPodCreated = (pod) => api.updatePod(pod.metadata.name, run);
    await driver.start(s, () => undefined);
    const again = await makeDriver();
    assert.deepEqual(await again.list(), [{ sessionId: s.sessionId, state: 'running', cpu: 0.5, memoryGb: 0.5 }]);
    const other = await makeDriver({ agentId: 'another-agent' });
    assert.deepEqual(await other.list(), []);
    // The restarted agent follows the session it found: a crash is reported by it too.
    const crashed = new Promise<string>((resolve) =>
      again.onUnexpectedExit((id, reason) => id === s.sessionId && resolve(reason)),
    );
    api.updatePod(api.podsOf(s.sessionId)[0]!.metadata.name, (p) => {
      p.status.phase = 'Failed';
      p.status.reason = 'Evicted';
      p.status.message = 'The node was low on resource: memory.';
    });
    assert.equal(await crashed, 'Evicted: The node was low on resource: memory.');
    await driver.delete(s.sessionId);
  });

  test('a 403 names the missing permission and where the Role comes from', async () => {
    api.failures.push({
      method: 'POST',
      path: /\/deployments$/,
      code: 403,
      reason: 'Forbidden',
      message:
        'deployments.apps is forbidden: User "system:serviceaccount:streamspace:agent" cannot create resource "deployments"',
    });
    const s = spec({ persistent_home: false });
    await assert.rejects(
      driver.start(s, () => undefined),
      isDriverError(
        'start_failed',
        /creating Deployment .* failed: 403 deployments.apps is forbidden.*deploy\/helm\/streamspace/,
      ),
    );
  });

  test('an unreachable API server is platform_unavailable at prepare, naming the server', async () => {
    const closed = await FakeKubeApi.start();
    const kubeConfig = closed.kubeConfig();
    await closed.close();
    await assert.rejects(
      makeDriver({ kubeConfig }),
      isDriverError('platform_unavailable', new RegExp(`listing pods in namespace streamspace at ${closed.url}`)),
    );
  });

  test('every request stays within the agent Role of the Helm chart', () => {
    const allowed = new Set([
      'apps/deployments:get',
      'apps/deployments:list',
      'apps/deployments:watch',
      'apps/deployments:create',
      'apps/deployments:patch',
      'apps/deployments:delete',
      'services:get',
      'services:create',
      'services:delete',
      'persistentvolumeclaims:get',
      'persistentvolumeclaims:create',
      'persistentvolumeclaims:delete',
      'networking.k8s.io/networkpolicies:get',
      'networking.k8s.io/networkpolicies:create',
      'networking.k8s.io/networkpolicies:delete',
      'pods:get',
      'pods:list',
      'pods:watch',
      'events:list',
      'pods/log:get',
    ]);
    const used = new Set(
      api.requests.map((r) => {
        const m = /^\/(?:api\/v1|apis\/([^/]+)\/v1)\/namespaces\/[^/]+\/([a-z]+)(\/[^/]+)?(\/log)?$/.exec(r.path)!;
        const resource = `${m[1] ? `${m[1]}/` : ''}${m[2]}${m[4] ? '/log' : ''}`;
        const verb =
          { POST: 'create', PATCH: 'patch', DELETE: 'delete', PUT: 'update' }[r.method] ??
          (m[3] ? 'get' : r.query.watch === 'true' ? 'watch' : 'list');
        return `${resource}:${verb}`;
      }),
    );
    assert.deepEqual(
      [...used].filter((u) => !allowed.has(u)),
      [],
    );
    assert.ok(used.has('pods:watch') && used.has('events:list') && used.has('pods/log:get'), [...used].join(' '));
  });
});
