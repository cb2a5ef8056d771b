import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type KubeConfig,
  type V1Deployment,
  type V1EnvVar,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  DriverError,
  type DriverSession,
  type ProgressReporter,
  type SessionDriver,
  type SessionExec,
  type SessionExecResult,
  type SessionSpec,
  type VncEndpoint,
} from '../session-driver.js';
import { waitForRfb } from '../vnc-probe.js';
import {
  K8S_LABELS,
  SERVICE_VNC_PORT,
  deploymentName,
  homeClaimName,
  serviceName,
  sessionObjectsSelector,
  vncSecretName,
} from './labels.js';
import { assessPod, clip, failureText, podProgress, type PodAssessment } from './pod-status.js';
import { PodWatch } from './pod-watch.js';
import { kubernetesExec } from './kubernetes-exec.js';
import { parseCpu, parseMemoryGb } from './quantity.js';
import { buildSessionManifests, ownedBy, type ManifestOptions } from './session-manifests.js';
import { apiStatus, ignoreStatus, kubernetesError } from './api-errors.js';
import { VNC_PASSWORD_ENV, newVncPassword, revealVncPassword } from '../../tunnel/vnc-password.js';

export interface KubernetesDriverOptions extends ManifestOptions {
  kubeConfig: KubeConfig;
  readyTimeoutMs: number;
  logger: Logger;
  /** Events can only be listed (the Role grants no watch on them): how often while a pod waits. */
  eventPollMs?: number;
  /** How long stop/hibernate wait for the pod to be gone. */
  stopWaitMs?: number;
  /** How long one pod watch request lasts before it is renewed (PodWatch's default: 5–10 min). */
  watchTimeoutSeconds?: number;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const newest = (pods: V1Pod[]) =>
  pods.toSorted(
    (a, b) =>
      new Date(b.metadata?.creationTimestamp ?? 0).getTime() - new Date(a.metadata?.creationTimestamp ?? 0).getTime(),
  )[0];

/**
 * Sessions as Deployments in one namespace: per session a Deployment (replicas 0 when stopped or
 * hibernated), a ClusterIP Service for VNC, a NetworkPolicy admitting only the agent's pods, and a
 * PVC for a persistent home. State comes from a watch on the session pods. Uses only the verbs of
 * the Role in deploy/helm/streamspace (see the README's "Kubernetes agent").
 */
export class KubernetesDriver implements SessionDriver {
  readonly platform = 'kubernetes' as const;
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #net: NetworkingV1Api;
  readonly #pods: PodWatch;
  /** Sessions that run and are expected to: a failure of their pod is reported as unexpected. */
  readonly #expectRunning = new Set<string>();
  #exitListeners: Array<(sessionId: string, reason: string) => void> = [];

  constructor(private readonly o: KubernetesDriverOptions) {
    this.#apps = o.kubeConfig.makeApiClient(AppsV1Api);
    this.#core = o.kubeConfig.makeApiClient(CoreV1Api);
    this.#net = o.kubeConfig.makeApiClient(NetworkingV1Api);
    this.#pods = new PodWatch({
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      labelSelector: sessionObjectsSelector(o),
      logger: o.logger,
      ...(o.watchTimeoutSeconds ? { watchTimeoutSeconds: o.watchTimeoutSeconds } : {}),
    });
    this.#pods.onChange((type, pod) => void this.#onPodChange(type, pod));
  }

  /** Lists the session pods and starts watching them; sessions already running are followed. */
  async prepare(): Promise<void> {
    try {
      await this.#pods.start();
    } catch (error) {
      throw kubernetesError(
        'platform_unavailable',
        `listing pods in namespace ${this.o.namespace} at ${this.o.kubeConfig.getCurrentCluster()?.server ?? '(no cluster)'}`,
        error,
      );
    }
    for (const session of await this.list()) {
      if (session.state === 'running') this.#expectRunning.add(session.sessionId);
    }
  }

  async start(spec: SessionSpec, progress: ProgressReporter): Promise<VncEndpoint> {
    const { sessionId } = spec;
    const m = buildSessionManifests(spec, this.o, 0, newVncPassword());
    progress({ step: 'deployment', message: `creating the session's objects in namespace ${this.o.namespace}` });
    const namespace = this.o.namespace;
    if (m.homeClaim) {
      const body = m.homeClaim;
      await this.#create(`PersistentVolumeClaim ${body.metadata!.name}`, () =>
        this.#core.createNamespacedPersistentVolumeClaim({ namespace, body }),
      );
    }
    // Created with 0 replicas, then scaled to 1 once its NetworkPolicy exists: the pod never runs
    // with VNC (which has no password) open to the rest of the cluster.
    const deployment =
      (await this.#create(`Deployment ${m.deployment.metadata!.name}`, () =>
        this.#apps.createNamespacedDeployment({ namespace, body: m.deployment }),
      )) ?? (await this.#readDeployment(sessionId));
    if (!deployment)
      throw new DriverError('start_failed', `Deployment of session ${sessionId} vanished while starting`);
    const ownerReferences = [ownedBy(deployment)];
    const service = { ...m.service, metadata: { ...m.service.metadata, ownerReferences } };
    const networkPolicy = { ...m.networkPolicy, metadata: { ...m.networkPolicy.metadata, ownerReferences } };
    if (m.vncSecret) {
      // Before the pod can start (replicas are still 0); a repeated start keeps the first
      // password (409), which is the one the Deployment's pod reads.
      const secret = { ...m.vncSecret, metadata: { ...m.vncSecret.metadata, ownerReferences } };
      await this.#create(`Secret ${secret.metadata.name}`, () =>
        this.#core.createNamespacedSecret({ namespace, body: secret }),
      );
    }
    await this.#create(`NetworkPolicy ${networkPolicy.metadata.name}`, () =>
      this.#net.createNamespacedNetworkPolicy({ namespace, body: networkPolicy }),
    );
    await this.#create(`Service ${service.metadata.name}`, () =>
      this.#core.createNamespacedService({ namespace, body: service }),
    );
    return this.#run(sessionId, deployment, progress);
  }

  async resume(sessionId: string, progress: ProgressReporter): Promise<VncEndpoint> {
    const deployment = await this.#readDeployment(sessionId);
    if (!deployment) throw this.#notFound(sessionId);
    return this.#run(sessionId, deployment, progress);
  }

  /** Scales the Deployment to 1 if needed and waits for the pod, then for VNC. */
  async #run(sessionId: string, deployment: V1Deployment, progress: ProgressReporter): Promise<VncEndpoint> {
    if ((deployment.spec?.replicas ?? 0) < 1) await this.#scale(sessionId, 1);
    const deadline = Date.now() + this.o.readyTimeoutMs;
    await this.#waitForPod(sessionId, deadline, progress);
    progress({ step: 'vnc', message: 'waiting for the VNC server' });
    await this.#waitForReady(sessionId, deadline);
    const endpoint = await this.vncEndpoint(sessionId);
    try {
      const ready = await waitForRfb(async () => endpoint, {
        timeoutMs: Math.max(0, deadline - Date.now()),
        intervalMs: 50,
        abort: async () => {
          const failure = this.#failure(sessionId);
          return failure && (await this.#failureReason(failure.pod, failure.assessed));
        },
      });
      this.#expectRunning.add(sessionId);
      return { host: ready.host, port: ready.port };
    } catch (error) {
      const failure = this.#failure(sessionId);
      if (failure) throw await this.#podFailed(sessionId, failure.pod, failure.assessed);
      throw new DriverError('start_failed', (error as Error).message, { cause: error });
    }
  }

  /**
   * Follows the session's pod until its container runs, reporting each step (scheduling, image,
   * container). A failure the pod status shows ends the wait at once with its reason.
   */
  async #waitForPod(sessionId: string, deadline: number, progress: ProgressReporter): Promise<void> {
    let last = '';
    const report = (p: { step: string; message: string }) => {
      const key = `${p.step}\n${p.message}`;
      if (key !== last) progress(p);
      last = key;
    };
    for (;;) {
      const pod = newest(this.#pods.pods(sessionId));
      if (pod) {
        const assessed = assessPod(pod);
        if (assessed.kind === 'failed') throw await this.#podFailed(sessionId, pod, assessed);
        if (assessed.kind === 'running') return;
        report(podProgress(pod, await this.#events(pod)) ?? assessed.progress);
      } else {
        report({ step: 'scheduling', message: 'waiting for the session pod to be created' });
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new DriverError(
          'start_failed',
          `the session pod was not running within ${Math.round(this.o.readyTimeoutMs / 1000)}s (last: ${last.replace('\n', ': ')}); see \`kubectl -n ${this.o.namespace} describe pod -l ${K8S_LABELS.sessionId}=${sessionId}\``,
        );
      }
      await this.#nextChange(sessionId, Math.min(left, this.o.eventPollMs ?? 1000));
    }
  }

  async stop(sessionId: string): Promise<void> {
    this.#expectRunning.delete(sessionId);
    await this.#scale(sessionId, 0);
    const deadline = Date.now() + (this.o.stopWaitMs ?? 30_000);
    while (this.#pods.allPods(sessionId).length > 0 && Date.now() < deadline) {
      await this.#nextChange(sessionId, deadline - Date.now());
    }
    const left = this.#pods.allPods(sessionId).map((p) => p.metadata?.name);
    // Replicas are 0 and the pod is out of the Service; Kubernetes finishes the termination.
    if (left.length > 0) this.o.logger.warn({ sessionId, pods: left }, 'session pod still terminating');
  }

  /** Replicas 0, the home PVC kept; resume scales back to 1. */
  hibernate(sessionId: string): Promise<void> {
    return this.stop(sessionId);
  }

  async delete(sessionId: string): Promise<void> {
    this.#expectRunning.delete(sessionId);
    const namespace = this.o.namespace;
    const name = deploymentName(sessionId);
    // Each explicitly, though the Service and NetworkPolicy would be garbage-collected: delete
    // must leave nothing behind even where the garbage collector is slow or owners were lost.
    await this.#remove(`Deployment ${name}`, () =>
      this.#apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' }),
    );
    await this.#remove(`Service ${name}`, () =>
      this.#core.deleteNamespacedService({ name: serviceName(sessionId), namespace }),
    );
    await this.#remove(`NetworkPolicy ${name}`, () => this.#net.deleteNamespacedNetworkPolicy({ name, namespace }));
    await this.#remove(`Secret ${vncSecretName(sessionId)}`, () =>
      this.#core.deleteNamespacedSecret({ name: vncSecretName(sessionId), namespace }),
    );
    const claim = homeClaimName(sessionId);
    await this.#remove(`PersistentVolumeClaim ${claim}`, () =>
      this.#core.deleteNamespacedPersistentVolumeClaim({ name: claim, namespace }),
    );
  }

  /** This agent's sessions, from the Deployments' labels: running when replicas ≥ 1 and the pod runs. */
  async list(): Promise<DriverSession[]> {
    const deployments = await this.#apps
      .listNamespacedDeployment({ namespace: this.o.namespace, labelSelector: sessionObjectsSelector(this.o) })
      .catch((error: unknown) => {
        throw kubernetesError('platform_error', 'listing session Deployments', error);
      });
    return deployments.items.flatMap((d): DriverSession[] => {
      const sessionId = d.metadata?.labels?.[K8S_LABELS.sessionId];
      if (!sessionId || d.metadata?.deletionTimestamp) return [];
      const pod = newest(this.#pods.pods(sessionId));
      const running = (d.spec?.replicas ?? 0) > 0 && pod !== undefined && assessPod(pod).kind === 'running';
      const limits = d.spec?.template.spec?.containers[0]?.resources?.limits ?? {};
      return [
        {
          sessionId,
          state: running ? 'running' : 'stopped',
          cpu: parseCpu(limits.cpu ?? '0'),
          memoryGb: parseMemoryGb(limits.memory ?? '0'),
        },
      ];
    });
  }

  exec(sessionId: string, command: string[], io: SessionExec): Promise<SessionExecResult> {
    const pod = this.#readyPod(sessionId);
    if (!pod?.metadata?.name)
      throw new DriverError('not_found', `session ${sessionId} has no ready pod to reach its files through`);
    return kubernetesExec(
      this.o.kubeConfig,
      { namespace: this.o.namespace, name: pod.metadata.name, container: 'session' },
      command,
      io,
    );
  }

  async vncEndpoint(sessionId: string): Promise<VncEndpoint> {
    const deployment = await this.#readDeployment(sessionId);
    if (!deployment) throw this.#notFound(sessionId);
    if ((deployment.spec?.replicas ?? 0) < 1) {
      throw new DriverError('not_found', `session ${sessionId} is not running (stopped or hibernated)`);
    }
    const container = deployment.spec?.template.spec?.containers[0];
    const password = await this.#vncPassword(
      sessionId,
      container?.env?.find((e) => e.name === VNC_PASSWORD_ENV),
    );
    // The ready pod's own address, as the Service's EndpointSlice lists it (same pod, same
    // readiness), rather than the Service's DNS name: that needs neither cluster DNS nor
    // kube-proxy on the agent's side, so an agent outside the cluster's DNS works as one inside.
    // A new pod (resume, replacement) has a new address: it is read again for every tunnel.
    const pod = this.#readyPod(sessionId);
    if (!pod) {
      throw new DriverError(
        'not_found',
        `session ${sessionId} has no ready pod (its VNC server is not listening yet, or the pod is being replaced); see \`kubectl -n ${this.o.namespace} get pods -l ${K8S_LABELS.sessionId}=${sessionId}\``,
      );
    }
    const port = container?.ports?.find((p) => p.name === 'vnc')?.containerPort ?? SERVICE_VNC_PORT;
    return { host: pod.status!.podIP!, port, password };
  }

  /** The session's VNC password: from its Secret (or, for sessions started before, the plain env value). */
  async #vncPassword(sessionId: string, env: V1EnvVar | undefined): Promise<string | undefined> {
    if (!env) return undefined;
    if (env.value) return revealVncPassword(env.value);
    const ref = env.valueFrom?.secretKeyRef;
    if (!ref) return undefined;
    try {
      const secret = await this.#core.readNamespacedSecret({ name: ref.name!, namespace: this.o.namespace });
      const obfuscated = secret.data?.[ref.key];
      if (!obfuscated) throw new DriverError('platform_error', `Secret ${ref.name} has no key ${ref.key}`);
      return revealVncPassword(Buffer.from(obfuscated, 'base64').toString('latin1'));
    } catch (error) {
      if (error instanceof DriverError) throw error;
      if (apiStatus(error) === 404) {
        throw new DriverError('not_found', `session ${sessionId} has no Secret ${ref.name} (its VNC password)`);
      }
      throw kubernetesError('platform_error', `reading Secret ${ref.name}`, error);
    }
  }

  /** The session's newest pod that runs, has an address and is ready (its startup probe found VNC listening). */
  #readyPod(sessionId: string): V1Pod | undefined {
    const pod = newest(this.#pods.pods(sessionId));
    const ready = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return pod && ready && pod.status?.podIP ? pod : undefined;
  }

  /** Waits until the pod is ready: its startup probe found VNC listening. */
  async #waitForReady(sessionId: string, deadline: number): Promise<void> {
    while (!this.#readyPod(sessionId)) {
      const failure = this.#failure(sessionId);
      if (failure) throw await this.#podFailed(sessionId, failure.pod, failure.assessed);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new DriverError(
          'start_failed',
          `the session pod runs but its VNC server did not become ready within ${Math.round(this.o.readyTimeoutMs / 1000)}s (startup probe on port vnc); see \`kubectl -n ${this.o.namespace} describe pod -l ${K8S_LABELS.sessionId}=${sessionId}\``,
        );
      }
      await this.#nextChange(sessionId, left);
    }
  }

  onUnexpectedExit(listener: (sessionId: string, reason: string) => void): void {
    this.#exitListeners.push(listener);
  }

  /**
   * Takes over a session of the pool as it runs: nothing is written to the cluster (no scale, no
   * relabel, so the Deployment does not roll its pod); this agent only starts answering for it.
   * A session that is not running is not_found: restarting it would lose the user's desktop.
   */
  async adopt(sessionId: string): Promise<VncEndpoint> {
    const deployment = await this.#readDeployment(sessionId);
    if (!deployment) throw this.#notFound(sessionId);
    if ((deployment.spec?.replicas ?? 0) < 1) {
      throw new DriverError(
        'not_found',
        `session ${sessionId} is not running (stopped or hibernated): nothing to adopt`,
      );
    }
    const pod = newest(this.#pods.pods(sessionId));
    if (!pod || assessPod(pod).kind !== 'running') {
      throw new DriverError(
        'not_found',
        `session ${sessionId} has no running pod to adopt${pod ? ` (pod ${pod.metadata?.name}: ${pod.status?.phase})` : ''}`,
      );
    }
    const deadline = Date.now() + this.o.readyTimeoutMs;
    await this.#waitForReady(sessionId, deadline);
    const endpoint = await this.vncEndpoint(sessionId);
    await waitForRfb(async () => endpoint, { timeoutMs: Math.max(0, deadline - Date.now()), intervalMs: 50 });
    this.#expectRunning.add(sessionId);
    return endpoint;
  }

  async close(): Promise<void> {
    this.#pods.close();
  }

  async #onPodChange(type: string, pod: V1Pod) {
    const sessionId = pod.metadata?.labels?.[K8S_LABELS.sessionId];
    if (!sessionId || !this.#expectRunning.has(sessionId)) return;
    let reason: string;
    if (type === 'DELETED' || pod.metadata?.deletionTimestamp) {
      this.#expectRunning.delete(sessionId);
      reason = `pod ${pod.metadata?.name} was deleted while the session ran (evicted, node drained or removed by hand)`;
    } else {
      const assessed = assessPod(pod);
      if (assessed.kind !== 'failed') return;
      // Before the await: later updates of the same crash must not report it again.
      this.#expectRunning.delete(sessionId);
      reason = await this.#failureReason(pod, assessed);
    }
    for (const listener of this.#exitListeners) listener(sessionId, clip(reason, 2000));
  }

  #failure(sessionId: string) {
    const pod = newest(this.#pods.pods(sessionId));
    const assessed = pod && assessPod(pod);
    return pod && assessed?.kind === 'failed' ? { pod, assessed } : undefined;
  }

  async #podFailed(
    sessionId: string,
    pod: V1Pod,
    assessed: Extract<PodAssessment, { kind: 'failed' }>,
  ): Promise<DriverError> {
    const reason = await this.#failureReason(pod, assessed);
    const hint =
      assessed.code === 'image_not_found'
        ? `; make the image available to the cluster's nodes (push it to a registry they can pull from, or load it into them; build it with \`streamspace image build\`)`
        : assessed.reason === 'Unschedulable'
          ? `; free capacity in the cluster or lower the template's cpu/memory limits`
          : `; see \`kubectl -n ${this.o.namespace} describe pod ${pod.metadata?.name}\``;
    return new DriverError(assessed.code, clip(`session ${sessionId}: ${reason}${hint}`, 2000));
  }

  /** The reason with the pod's newest warning event, and its last log lines if the container ran. */
  async #failureReason(pod: V1Pod, assessed: Extract<PodAssessment, { kind: 'failed' }>): Promise<string> {
    const text = failureText(assessed, await this.#events(pod));
    if (!['CrashLoopBackOff', 'ContainerExited', 'OOMKilled'].includes(assessed.reason)) return text;
    const logs = await this.#core
      .readNamespacedPodLog({
        name: pod.metadata!.name!,
        namespace: this.o.namespace,
        container: 'session',
        previous: (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0,
        tailLines: 10,
      })
      .catch(() => '');
    return logs.trim() ? `${text}; last log lines:\n${logs.trimEnd()}` : text;
  }

  async #events(pod: V1Pod): Promise<CoreV1Event[]> {
    try {
      const list = await this.#core.listNamespacedEvent({
        namespace: this.o.namespace,
        fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod.metadata?.name}`,
      });
      return list.items.filter((e) => !pod.metadata?.uid || e.involvedObject.uid === pod.metadata.uid);
    } catch (error) {
      // Events add detail to a reason; a failure to read them must not hide the reason itself.
      this.o.logger.debug({ err: error }, 'cannot list pod events');
      return [];
    }
  }

  /** Resolves on the next change of one of the session's pods, or after `ms`. */
  #nextChange(sessionId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      const off = this.#pods.onChange((_type, pod) => {
        if (pod.metadata?.labels?.[K8S_LABELS.sessionId] === sessionId) done();
      });
    });
  }

  async #scale(sessionId: string, replicas: number): Promise<void> {
    try {
      await this.#apps.patchNamespacedDeployment(
        { name: deploymentName(sessionId), namespace: this.o.namespace, body: { spec: { replicas } } },
        MERGE_PATCH,
      );
    } catch (error) {
      if (apiStatus(error) === 404) throw this.#notFound(sessionId);
      throw kubernetesError('platform_error', `scaling session ${sessionId} to ${replicas}`, error);
    }
  }

  async #readDeployment(sessionId: string): Promise<V1Deployment | undefined> {
    const name = deploymentName(sessionId);
    try {
      return await this.#apps.readNamespacedDeployment({ name, namespace: this.o.namespace });
    } catch (error) {
      if (apiStatus(error) === 404) return undefined;
      throw kubernetesError('platform_error', `reading Deployment ${name}`, error);
    }
  }

  /** Creates an object; one that exists already (409, a repeated start) is left as it is. */
  async #create<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (apiStatus(error) === 409) return undefined;
      throw kubernetesError('start_failed', `creating ${what}`, error);
    }
  }

  /** Deletes an object; one that is gone already (404) is fine. */
  async #remove(what: string, call: () => Promise<unknown>): Promise<void> {
    await ignoreStatus(call(), 404).catch((error: unknown) => {
      throw kubernetesError('platform_error', `deleting ${what}`, error);
    });
  }

  #notFound(sessionId: string): DriverError {
    return new DriverError(
      'not_found',
      `session ${sessionId} has no Deployment ${deploymentName(sessionId)} in namespace ${this.o.namespace}`,
    );
  }
}
