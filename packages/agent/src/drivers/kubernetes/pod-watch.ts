import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { K8S_LABELS } from './labels.js';

export type PodEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type PodListener = (type: PodEventType, pod: V1Pod) => void;

export interface PodWatchOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  labelSelector: string;
  logger: Logger;
  /** Delay before re-listing after a failed list or watch. */
  retryMs?: number;
  /**
   * How long one watch request lasts before it is renewed from the last resourceVersion (as
   * client-go's reflectors do: 5 to 10 minutes, spread so agents do not renew together).
   */
  watchTimeoutSeconds?: number;
}

/**
 * A cache of the session pods, kept by list-then-watch from the list's resourceVersion (the
 * informer pattern, with only the `pods: list, watch` the Role grants). A watch that ends is
 * resumed from the last resourceVersion seen (bookmarks keep it fresh); one that answers 410 Gone
 * (the version was compacted away) is replaced by a fresh list, and the pods that changed or
 * vanished meanwhile are reported as if watched, so no transition is lost.
 */
export class PodWatch {
  readonly #pods = new Map<string, V1Pod>();
  readonly #listeners = new Set<PodListener>();
  readonly #core: CoreV1Api;
  readonly #watch: Watch;
  #resourceVersion = '';
  #abort: AbortController | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** How many times the cache was rebuilt from a list (1 = the initial list); for logs and tests. */
  lists = 0;

  constructor(private readonly o: PodWatchOptions) {
    this.#core = o.kubeConfig.makeApiClient(CoreV1Api);
    this.#watch = new Watch(o.kubeConfig);
  }

  /** Lists once (throws if the API cannot be read) and keeps watching until close(). */
  async start(): Promise<void> {
    await this.#list();
    void this.#follow();
  }

  /** The live pods of a session (terminating ones excluded: they are on their way out). */
  pods(sessionId: string): V1Pod[] {
    return [...this.#pods.values()].filter(
      (p) => p.metadata?.labels?.[K8S_LABELS.sessionId] === sessionId && !p.metadata?.deletionTimestamp,
    );
  }

  /** Every pod of a session still in the cache, terminating ones included. */
  allPods(sessionId: string): V1Pod[] {
    return [...this.#pods.values()].filter((p) => p.metadata?.labels?.[K8S_LABELS.sessionId] === sessionId);
  }

  onChange(listener: PodListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#abort?.abort();
  }

  #emit(type: PodEventType, pod: V1Pod) {
    for (const listener of [...this.#listeners]) listener(type, pod);
  }

  async #list(): Promise<void> {
    const list = await this.#core.listNamespacedPod({
      namespace: this.o.namespace,
      labelSelector: this.o.labelSelector,
    });
    this.lists++;
    this.#resourceVersion = list.metadata?.resourceVersion ?? '';
    const seen = new Set<string>();
    for (const pod of list.items) {
      const name = pod.metadata?.name ?? '';
      seen.add(name);
      const before = this.#pods.get(name);
      this.#pods.set(name, pod);
      if (!before) this.#emit('ADDED', pod);
      else if (before.metadata?.resourceVersion !== pod.metadata?.resourceVersion) this.#emit('MODIFIED', pod);
    }
    for (const [name, pod] of this.#pods) {
      if (seen.has(name)) continue;
      this.#pods.delete(name);
      this.#emit('DELETED', pod);
    }
  }

  async #follow(): Promise<void> {
    if (this.#closed) return;
    let gone = false;
    const done = (error: unknown) => {
      this.#abort = undefined;
      if (this.#closed) return;
      if (gone || (error as { statusCode?: number } | null)?.statusCode === 410) {
        this.o.logger.debug('pod watch expired (410 Gone); listing again');
        void this.#relist(0);
      } else if (error) {
        this.o.logger.warn({ err: error }, 'pod watch failed; listing again');
        void this.#relist(this.o.retryMs ?? 1000);
      } else {
        // The API server ends every watch after a while; carry on from where it stopped.
        void this.#follow();
      }
    };
    try {
      this.#abort = await this.#watch.watch(
        `/api/v1/namespaces/${encodeURIComponent(this.o.namespace)}/pods`,
        {
          labelSelector: this.o.labelSelector,
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: this.o.watchTimeoutSeconds ?? Math.round(300 * (1 + Math.random())),
        },
        (type: string, object: V1Pod & { code?: number }) => {
          if (type === 'ERROR') {
            // {type: ERROR, object: Status{code: 410, reason: Expired|Gone}}: this version is gone.
            gone = object.code === 410;
            if (!gone) this.o.logger.warn({ status: object }, 'pod watch reported an error');
            this.#abort?.abort();
            return;
          }
          const version = object.metadata?.resourceVersion;
          if (version) this.#resourceVersion = version;
          if (type === 'BOOKMARK') return;
          const name = object.metadata?.name ?? '';
          if (type === 'DELETED') this.#pods.delete(name);
          else this.#pods.set(name, object);
          this.#emit(type as PodEventType, object);
        },
        done,
      );
      if (this.#closed) this.#abort?.abort();
    } catch (error) {
      done(error);
    }
  }

  async #relist(delayMs: number): Promise<void> {
    if (delayMs > 0) await new Promise((resolve) => (this.#retry = setTimeout(resolve, delayMs).unref()));
    if (this.#closed) return;
    try {
      await this.#list();
      void this.#follow();
    } catch (error) {
      this.o.logger.warn({ err: error }, 'listing session pods failed; retrying');
      void this.#relist(this.o.retryMs ?? 1000);
    }
  }
}
