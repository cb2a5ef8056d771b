import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import {
  buildSessionManifests,
  ownedBy,
  readRfbBanner,
  toWire,
  type ManifestOptions,
  type SessionSpec,
} from '@streamspace/agent';
import { requireContainerEngine } from '../support/podman.js';
import { forPodman, inspectPod, kubePlay, podman } from '../support/podman-kubelet.js';
import { waitFor } from '../support/wait-for.js';
import { xtermSession } from '../support/driver-contract.js';

/**
 * No Kubernetes API server can run here, so the manifests the Kubernetes driver generates are
 * checked the two ways that need none: against Kubernetes' published OpenAPI schemas (as carried
 * by kubernetes-models 5.1), and by running the Deployment's pod template for real with
 * `podman kube play` on the xterm session image: VNC must answer, as the user, with the env, limits
 * and home volume the template asks for.
 */

const run = podman;

const xterm = (sessionId = randomUUID(), template: Partial<SessionSpec['template']> = {}) =>
  xtermSession({ sessionId, template });
const options: ManifestOptions = {
  agentId: 'k8s-pod-spec',
  namespace: 'streamspace',
  agentNamespace: 'streamspace-system',
  homeSize: '5Gi',
  storageClass: 'standard',
  imagePullPolicy: 'IfNotPresent',
};

test("every manifest the driver generates is valid against Kubernetes' published schemas", () => {
  const variants = [
    buildSessionManifests(xterm(), options, 1),
    buildSessionManifests(xterm(), options, 0), // hibernated
    buildSessionManifests(xterm(randomUUID(), { persistent_home: false, env: { LANG: 'C.UTF-8' } }), {
      ...options,
      agentId: `an agent id that is no label value ${'x'.repeat(80)}`,
      storageClass: undefined,
    }),
    buildSessionManifests(
      xterm(randomUUID(), { image: 'streamspace/desktop:latest', vnc_port: 5901, cpu_limit: 2, memory_limit_mb: 4096 }),
      options,
    ),
  ];
  let validated = 0;
  for (const m of variants) {
    // As the driver sends them: the Service and NetworkPolicy owned by the created Deployment.
    const created = { ...m.deployment, metadata: { ...m.deployment.metadata, uid: randomUUID() } };
    const ownerReferences = [ownedBy(created)];
    const wire = toWire({
      ...m,
      service: { ...m.service, metadata: { ...m.service.metadata, ownerReferences } },
      networkPolicy: { ...m.networkPolicy, metadata: { ...m.networkPolicy.metadata, ownerReferences } },
    });
    new Deployment(wire.deployment as never).validate();
    new Service(wire.service as never).validate();
    new NetworkPolicy(wire.networkPolicy as never).validate();
    validated += 3;
    if (wire.homeClaim) {
      new PersistentVolumeClaim(wire.homeClaim as never).validate();
      validated++;
    }
  }
  assert.equal(validated, 15);
  // The check has teeth: a field of the wrong type is refused, naming where it is.
  const broken = toWire(buildSessionManifests(xterm(), options)).deployment as unknown as {
    spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } };
  };
  broken.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'vnc';
  assert.throws(
    () => new Deployment(broken as never).validate(),
    /spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/,
  );
});

const dirs: string[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('the xterm Deployment runs under `podman kube play`: VNC answers RFB 003.008, as uid 1000, with env, limits and home', async () => {
  await requireContainerEngine();
  const spec = xterm();
  const { deployment } = buildSessionManifests(spec, options);
  const dir = await mkdtemp(join(tmpdir(), 'streamspace-kube-'));
  dirs.push(dir);
  const file = join(dir, 'deployment.yaml');
  const wire = toWire(deployment);
  const template = wire.spec!.template as unknown as { spec: Parameters<typeof forPodman>[0] };
  template.spec = await forPodman(template.spec, `${wire.metadata!.name}-pod-0`);
  await writeFile(file, YAML.stringify(wire));
  const home = `streamspace-home-${spec.sessionId}`;
  cleanups.push(() => run('volume', 'rm', '-f', home));
  cleanups.push(() => run('kube', 'down', file));

  await kubePlay(file);
  const pods = JSON.parse(await run('pod', 'ps', '--format', 'json')) as Array<{ Name: string; Id: string }>;
  const pod = pods.find((p) => p.Name.startsWith(deployment.metadata!.name!));
  assert.ok(pod, `no pod for ${deployment.metadata!.name} in ${pods.map((p) => p.Name).join(', ')}`);
  cleanups.push(() => run('pod', 'rm', '-f', pod.Id));
  // The pod's address on podman's kube network is the infra container's.
  const { address, containers } = await inspectPod(pod.Name);

  // Xvnc takes a moment to listen; a refused connection costs microseconds.
  const banner = await waitFor('VNC on the pod', () => readRfbBanner(address, 5900), 60_000, 100);
  assert.equal(banner, 'RFB 003.008\n');

  assert.equal(containers.length, 1, containers.join(', '));
  const session = containers[0]!;
  const inside = await run(
    'exec',
    session,
    'sh',
    '-c',
    'id -u; id -g; echo "$STREAMSPACE_SESSION_ID $VNC_PORT"; touch "$HOME/.probe" && echo home-writable; ' +
      'grep -E "^(NoNewPrivs|CapEff)" /proc/self/status',
  );
  assert.deepEqual(inside.trim().split('\n'), [
    '1000',
    '1000',
    `${spec.sessionId} 5900`,
    'home-writable',
    'CapEff:\t0000000000000000',
    'NoNewPrivs:\t1',
  ]);
  const [container] = JSON.parse(await run('inspect', session)) as Array<{
    HostConfig: { Memory: number; NanoCpus: number; CpuQuota: number; CpuPeriod: number };
    Mounts: Array<{ Type: string; Name?: string; Destination: string }>;
  }>;
  assert.equal(container!.HostConfig.Memory, 512 * 1024 * 1024);
  assert.equal(container!.HostConfig.CpuQuota / container!.HostConfig.CpuPeriod, 0.5);
  // The PVC claim became a named volume at the home: what a persistent home is.
  assert.ok(
    container!.Mounts.some((m) => m.Type === 'volume' && m.Name === home && m.Destination === '/home/user'),
    JSON.stringify(container!.Mounts),
  );
});
