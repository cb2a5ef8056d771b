import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import type { FakeKubeApi, FakeObject } from '@streamspace/agent/testing/fake-kube-api';

const exec = promisify(execFile);
export const podman = async (...args: string[]) => (await exec('podman', args, { timeout: 120_000 })).stdout;

/** `podman kube play` needs catatonit for the pod's infra container; say so instead of a podman trace. */
export async function kubePlay(file: string): Promise<void> {
  try {
    await podman('kube', 'play', file);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    const hint = /catatonit/.test(stderr)
      ? '\npodman needs catatonit for pods: apt-get install catatonit (scripts/setup-podman.sh installs it)'
      : '';
    throw new Error(`podman kube play failed: ${stderr}${hint}`, { cause: error });
  }
}

/** A TCP port free on 127.0.0.1 right now. */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type PodSpec = {
  hostname?: string;
  containers: Array<{ ports?: Array<{ containerPort: number; hostPort?: number; hostIP?: string }> }>;
  volumes?: Array<{ name: string; emptyDir?: unknown }>;
  [k: string]: unknown;
};
type Mounts = Array<{ volumeMounts?: Array<{ name: string }> }>;

/**
 * A pod spec as the driver wrote it, with only what podman 4.3's `kube play` does differently from
 * a kubelet made good, so that pods can run side by side as they would in a cluster:
 * - it publishes every containerPort on the host's 0.0.0.0 (Kubernetes publishes nothing): each
 *   port is pinned to a free port on 127.0.0.1 instead, so VNC is neither exposed nor colliding;
 * - it turns each emptyDir into a volume named after the pod's volume name (`tmp`), shared by
 *   every pod that uses the name (a kubelet makes one per pod): the names are made unique per pod;
 * - it uses the pod name as the hostname, refused beyond 63 characters (a kubelet truncates it).
 * Image, command, env, user, security context, limits and PVC claims are left exactly as written.
 */
export async function forPodman<T extends PodSpec>(spec: T, podName: string): Promise<T> {
  const copy = structuredClone(spec);
  for (const c of copy.containers) {
    for (const port of c.ports ?? []) {
      port.hostIP = '127.0.0.1';
      port.hostPort = await freeLoopbackPort();
    }
  }
  const prefix = `p${createHash('sha256').update(podName).digest('hex').slice(0, 10)}`;
  const renamed = new Map<string, string>();
  for (const v of copy.volumes ?? []) {
    if (!v.emptyDir) continue;
    renamed.set(v.name, `${prefix}-${v.name}`);
    v.name = `${prefix}-${v.name}`;
  }
  for (const c of copy.containers as Mounts) {
    for (const m of c.volumeMounts ?? []) m.name = renamed.get(m.name) ?? m.name;
  }
  if (podName.length > 63) copy.hostname = podName.slice(0, 63).replace(/[-.]+$/, '');
  return copy;
}

type PodInfo = { InfraContainerID: string; Containers: Array<{ Id: string; Name: string }> };

/** The pod's address on podman's kube network (the infra container's) and its containers. */
export async function inspectPod(name: string): Promise<{ address: string; containers: string[] }> {
  // podman 4.3 answers one object for one pod; later versions a list.
  const inspected = JSON.parse(await podman('pod', 'inspect', name)) as PodInfo | PodInfo[];
  const info = Array.isArray(inspected) ? inspected[0]! : inspected;
  const [infra] = JSON.parse(await podman('inspect', info.InfraContainerID)) as Array<{
    NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
  }>;
  const address = infra?.NetworkSettings.Networks['podman-default-kube-network']?.IPAddress;
  if (!address) throw new Error(`pod ${name} has no address on podman-default-kube-network`);
  return { address, containers: info.Containers.filter((c) => c.Id !== info.InfraContainerID).map((c) => c.Name) };
}

/**
 * The kubelet of the fake Kubernetes API, played by podman: each pod the fake's Deployment
 * controller creates is run for real with `podman kube play` (its spec exactly as the driver wrote
 * it), and its status is reported back as a kubelet would (scheduled, then running, or
 * ImagePullBackOff when the image is not on this node). Removed pods are removed from podman; a
 * deleted PVC removes the podman volume that stood in for it.
 */
export class PodmanKubelet {
  readonly #addresses = new Map<string, string>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #pods = new Set<string>();
  readonly #volumes = new Set<string>();
  /** What podman refused, for a test's failure message. */
  readonly problems: string[] = [];

  private constructor(
    private readonly api: FakeKubeApi,
    private readonly dir: string,
  ) {
    api.onPodCreated = (pod) => this.#track(this.#run(pod));
    api.onPodDeleted = (pod) => this.#track(this.#remove(pod.metadata.name));
    api.onDeleted = (collection, object) => {
      if (collection === 'persistentvolumeclaims') this.#track(this.#removeVolume(object.metadata.name));
    };
  }

  static async attach(api: FakeKubeApi): Promise<PodmanKubelet> {
    return new PodmanKubelet(api, await mkdtemp(join(tmpdir(), 'streamspace-kubelet-')));
  }

  /** The address of the session's running pod (what its Service would route to). */
  address(sessionId: string): string {
    const pod = this.api.podsOf(sessionId).find((p) => this.#addresses.has(p.metadata.name));
    if (!pod) throw new Error(`session ${sessionId} has no running pod (podman: ${this.problems.join('; ') || 'ok'})`);
    return this.#addresses.get(pod.metadata.name)!;
  }

  /** The session container of the session's running pod, for `podman exec`. */
  container(sessionId: string): string {
    const pod = this.api.podsOf(sessionId).find((p) => this.#addresses.has(p.metadata.name));
    if (!pod) throw new Error(`session ${sessionId} has no running pod`);
    return `${pod.metadata.name}-session`;
  }

  /** Removes every pod and volume it made. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#running]);
    for (const pod of this.#pods) await podman('pod', 'rm', '-f', pod).catch(() => undefined);
    for (const volume of this.#volumes) await podman('volume', 'rm', '-f', volume).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  #track(work: Promise<unknown>) {
    // A failed run is also in the pod's status (CreateContainerError), which is what the driver sees.
    const tracked = work.catch((error: unknown) => this.problems.push((error as Error).message));
    this.#running.add(tracked);
    void tracked.finally(() => this.#running.delete(tracked));
  }

  async #run(pod: FakeObject) {
    const name = pod.metadata.name;
    const [container] = pod.spec.containers as Array<{ image: string }>;
    this.api.updatePod(name, (p) => {
      p.spec.nodeName = 'podman';
      p.status = {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        containerStatuses: [status(container!.image, { waiting: { reason: 'ContainerCreating' } })],
      };
    });
    this.api.addEvent(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${name} to podman`);
    if (
      !(await podman('image', 'exists', container!.image).then(
        () => true,
        () => false,
      ))
    ) {
      // IfNotPresent on a node without the image and no registry to pull from.
      this.api.addEvent(
        pod,
        'Warning',
        'Failed',
        `Failed to pull image "${container!.image}": not found on node podman`,
      );
      this.api.updatePod(name, (p) => {
        p.status.containerStatuses = [
          status(container!.image, {
            waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container!.image}"` },
          }),
        ];
      });
      return;
    }
    this.api.addEvent(pod, 'Normal', 'Pulled', `Container image "${container!.image}" already present on machine`);
    const volumes = (pod.spec.volumes ?? []) as Array<{ persistentVolumeClaim?: { claimName: string } }>;
    for (const v of volumes) if (v.persistentVolumeClaim) this.#volumes.add(v.persistentVolumeClaim.claimName);
    const file = join(this.dir, `${name}.yaml`);
    await writeFile(
      file,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: pod.metadata.labels, annotations: pod.metadata.annotations },
        spec: await forPodman(pod.spec, name),
      }),
    );
    this.#pods.add(name);
    try {
      await kubePlay(file);
    } catch (error) {
      // What a kubelet shows for a container the runtime could not create.
      this.api.updatePod(name, (p) => {
        p.status.containerStatuses = [
          status(container!.image, {
            waiting: { reason: 'CreateContainerError', message: (error as Error).message.slice(0, 500) },
          }),
        ];
      });
      throw error;
    }
    const { address } = await inspectPod(name);
    if (!this.api.podsOf(pod.metadata.labels!['session-id']!).some((p) => p.metadata.name === name)) {
      await this.#remove(name); // deleted while it was starting
      return;
    }
    this.#addresses.set(name, address);
    this.api.addEvent(pod, 'Normal', 'Started', 'Started container session');
    this.api.updatePod(name, (p) => {
      p.status = {
        phase: 'Running',
        podIP: address,
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        containerStatuses: [status(container!.image, { running: { startedAt: new Date().toISOString() } })],
      };
    });
  }

  async #remove(name: string) {
    this.#addresses.delete(name);
    if (!this.#pods.has(name)) return;
    await podman('pod', 'rm', '-f', name);
    this.#pods.delete(name);
  }

  async #removeVolume(name: string) {
    // The pod using it may still be on its way out (as Kubernetes' pvc-protection finalizer waits).
    await Promise.allSettled([...this.#running]);
    await podman('volume', 'rm', '-f', name).catch(() => undefined);
    this.#volumes.delete(name);
  }
}

const status = (image: string, state: object) => ({
  name: 'session',
  image,
  imageID: '',
  ready: 'running' in state,
  restartCount: 0,
  state,
});
