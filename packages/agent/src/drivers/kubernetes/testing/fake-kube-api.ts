import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A fake Kubernetes API server for the driver's unit tests: a real HTTP server on 127.0.0.1 that
 * records every request and answers as the API server does (201 on create, 409 AlreadyExists and
 * 404 NotFound as Status objects, label-selected lists with a resourceVersion, merge patches, and
 * pod watches streamed as JSON lines, resumable from a resourceVersion until it is compacted, when
 * they get an ERROR event with a 410 Status). A tiny Deployment controller turns replicas into pods;
 * the test drives the pods' status. Test support only: nothing in the agent imports it.
 */

type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ uid: string; kind: string; name: string }>;
    [k: string]: unknown;
  };
  spec?: any;
  status?: any;
  [k: string]: unknown;
};

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  body: unknown;
  status: number;
}

/** collection path segment → what lists and Status messages call it */
const KINDS: Record<string, { kind: string; group: string; apiVersion: string }> = {
  deployments: { kind: 'Deployment', group: 'apps', apiVersion: 'apps/v1' },
  services: { kind: 'Service', group: '', apiVersion: 'v1' },
  persistentvolumeclaims: { kind: 'PersistentVolumeClaim', group: '', apiVersion: 'v1' },
  networkpolicies: { kind: 'NetworkPolicy', group: 'networking.k8s.io', apiVersion: 'networking.k8s.io/v1' },
  pods: { kind: 'Pod', group: '', apiVersion: 'v1' },
  events: { kind: 'Event', group: '', apiVersion: 'v1' },
};

const ROUTE =
  /^\/(?:api\/v1|apis\/(?:apps|networking\.k8s\.io)\/v1)\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?(?:\/(log))?$/;

interface Watcher {
  res: ServerResponse;
  namespace: string;
  selector: string | undefined;
}

export function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return labels?.[key!] === value;
  });
}

export type FakeObject = Obj;

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly #objects = new Map<string, Obj>();
  readonly #watchers = new Set<Watcher>();
  /** Every pod change, for watches resumed from a resourceVersion. */
  readonly #history: Array<{ rv: number; type: string; object: Obj }> = [];
  #rv = 100;
  /** Watches from a resourceVersion below this get 410 Gone (etcd compaction). */
  #compactedBelow = 0;
  #watchOpened: Array<() => void> = [];
  /** Log text per pod name, for GET …/pods/{name}/log. */
  readonly logs = new Map<string, string>();
  /** Answers the next request matching `method` and `path` with this status instead. */
  readonly failures: Array<{ method: string; path: RegExp; code: number; reason: string; message: string }> = [];
  /** Called for each pod the Deployment controller creates; by default the pod stays Pending. */
  onPodCreated: (pod: Obj) => void = () => undefined;
  /** Called for each pod the Deployment controller removes (scaled to 0, Deployment deleted). */
  onPodDeleted: (pod: Obj) => void = () => undefined;
  /** Called for each object a DELETE request removes. */
  onDeleted: (collection: string, object: Obj) => void = () => undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeKubeApi> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = new FakeKubeApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => void api.#handle(req, res));
    return api;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'agent', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'agent', namespace: 'streamspace' }],
      currentContext: 'fake',
    });
    return kc;
  }

  get openWatches(): number {
    return this.#watchers.size;
  }

  /** Resolves when the next pod watch is open (after the replay of missed events). */
  watchOpened(): Promise<void> {
    return new Promise((resolve) => this.#watchOpened.push(resolve));
  }

  get(collection: string, namespace: string, name: string): Obj | undefined {
    return this.#objects.get(`${collection}/${namespace}/${name}`);
  }

  list(collection: string): Obj[] {
    return [...this.#objects.entries()].filter(([k]) => k.startsWith(`${collection}/`)).map(([, v]) => v);
  }

  /** Stores an object as the API server would on create; returns it. */
  put(collection: string, namespace: string, object: Obj): Obj {
    const stored: Obj = structuredClone(object);
    stored.metadata.namespace = namespace;
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp ??= new Date().toISOString();
    stored.metadata.resourceVersion = String(++this.#rv);
    stored.apiVersion ??= KINDS[collection]?.apiVersion;
    stored.kind ??= KINDS[collection]?.kind;
    this.#objects.set(`${collection}/${namespace}/${stored.metadata.name}`, stored);
    return stored;
  }

  /** Changes a pod (as the kubelet/scheduler would) and tells the watches. */
  updatePod(name: string, change: (pod: Obj) => void): Obj {
    const pod = this.list('pods').find((p) => p.metadata.name === name);
    if (!pod) throw new Error(`no pod ${name}`);
    change(pod);
    pod.metadata.resourceVersion = String(++this.#rv);
    this.#notify('MODIFIED', pod);
    return pod;
  }

  podsOf(sessionId: string): Obj[] {
    return this.list('pods').filter((p) => p.metadata.labels?.['session-id'] === sessionId);
  }

  addEvent(pod: Obj, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const name = `${pod.metadata.name}.${randomBytes(4).toString('hex')}`;
    this.put('events', pod.metadata.namespace!, {
      metadata: { name },
      involvedObject: {
        kind: 'Pod',
        name: pod.metadata.name,
        namespace: pod.metadata.namespace,
        uid: pod.metadata.uid,
      },
      type,
      reason,
      message,
      lastTimestamp: new Date(Date.now() + this.#rv).toISOString(),
    });
  }

  /**
   * etcd compaction: open watches get an ERROR event with a 410 Status and end, and a watch from
   * any resourceVersion seen so far is refused the same way. Only a new list gets going again.
   */
  expireWatches(): void {
    this.#compactedBelow = this.#rv + 1;
    for (const w of this.#watchers) this.#endWatch(w);
  }

  async close(): Promise<void> {
    for (const w of this.#watchers) w.res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  #endWatch(w: Watcher) {
    this.#watchers.delete(w);
    w.res.end(
      `${JSON.stringify({
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${this.#compactedBelow - 1}`,
          reason: 'Expired',
          code: 410,
        },
      })}\n`,
    );
  }

  #notify(type: string, pod: Obj) {
    const object = structuredClone(pod);
    this.#history.push({ rv: this.#rv, type, object });
    for (const w of this.#watchers) {
      if (w.namespace === pod.metadata.namespace && matchesSelector(pod.metadata.labels, w.selector)) {
        w.res.write(`${JSON.stringify({ type, object })}\n`);
      }
    }
  }

  #deletePod(pod: Obj) {
    this.#objects.delete(`pods/${pod.metadata.namespace}/${pod.metadata.name}`);
    pod.metadata.resourceVersion = String(++this.#rv);
    this.#notify('DELETED', pod);
    this.onPodDeleted(pod);
  }

  /** The Deployment controller, reduced to what sessions use: replicas 0 or 1, one pod. */
  #reconcile(deployment: Obj) {
    const ns = deployment.metadata.namespace!;
    const pods = this.list('pods').filter(
      (p) => p.metadata.namespace === ns && matchesSelector(p.metadata.labels, selectorOf(deployment)),
    );
    const want = this.#objects.has(`deployments/${ns}/${deployment.metadata.name}`)
      ? (deployment.spec?.replicas ?? 1)
      : 0;
    for (const pod of pods.slice(want)) this.#deletePod(pod);
    for (let i = pods.length; i < want; i++) {
      const template = deployment.spec.template;
      const pod = this.put('pods', ns, {
        metadata: {
          name: `${deployment.metadata.name}-5d8f9c7b6-${randomBytes(3).toString('hex').slice(0, 5)}`,
          labels: template.metadata.labels,
          annotations: template.metadata.annotations,
        },
        spec: structuredClone(template.spec),
        status: { phase: 'Pending' },
      });
      this.#notify('ADDED', pod);
      this.onPodCreated(pod);
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      body: text ? JSON.parse(text) : undefined,
      status: 0,
    };
    this.requests.push(record);
    const send = (status: number, body: unknown, type = 'application/json') => {
      record.status = status;
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const statusObject = (code: number, reason: string, message: string) =>
      send(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

    const failure = this.failures.findIndex((f) => f.method === record.method && f.path.test(record.path));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return statusObject(f!.code, f!.reason, f!.message);
    }
    const match = ROUTE.exec(url.pathname);
    const kind = match && KINDS[match[2]!];
    if (!match || !kind) return statusObject(404, 'NotFound', `the server could not find the requested resource`);
    const [, namespace, collection, name, sub] = match as unknown as [string, string, string, string?, string?];
    const key = `${collection}/${namespace}/${name}`;
    const resource = kind.group ? `${collection}.${kind.group}` : collection;
    const notFound = () => statusObject(404, 'NotFound', `${resource} "${name}" not found`);

    if (sub === 'log') {
      if (!this.#objects.has(`pods/${namespace}/${name}`)) return notFound();
      return send(200, this.logs.get(name!) ?? '', 'text/plain');
    }
    if (!name) {
      if (record.method === 'POST') {
        const body = record.body as Obj;
        if (this.#objects.has(`${collection}/${namespace}/${body.metadata.name}`)) {
          return statusObject(409, 'AlreadyExists', `${resource} "${body.metadata.name}" already exists`);
        }
        const stored = this.put(collection, namespace, body);
        send(201, stored);
        if (collection === 'deployments') this.#reconcile(stored);
        return;
      }
      if (record.query.watch === 'true') return this.#watch(res, record, namespace);
      const items = this.list(collection).filter(
        (o) =>
          o.metadata.namespace === namespace &&
          matchesSelector(o.metadata.labels, record.query.labelSelector) &&
          matchesFields(o, record.query.fieldSelector),
      );
      return send(200, {
        kind: `${kind.kind}List`,
        apiVersion: kind.apiVersion,
        metadata: { resourceVersion: String(this.#rv) },
        items,
      });
    }
    const existing = this.#objects.get(key);
    if (!existing) return notFound();
    if (record.method === 'GET') return send(200, existing);
    if (record.method === 'PATCH') {
      if (record.contentType !== 'application/merge-patch+json') {
        return statusObject(
          415,
          'UnsupportedMediaType',
          `the fake speaks merge patches only, got ${record.contentType}`,
        );
      }
      mergePatch(existing, record.body);
      existing.metadata.resourceVersion = String(++this.#rv);
      send(200, existing);
      if (collection === 'deployments') this.#reconcile(existing);
      return;
    }
    if (record.method === 'DELETE') {
      this.#objects.delete(key);
      send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name } });
      this.onDeleted(collection, existing);
      if (collection === 'deployments') {
        this.#reconcile(existing);
        // The garbage collector: objects owned by the deleted Deployment go too.
        for (const [k, o] of this.#objects) {
          if (o.metadata.ownerReferences?.some((r) => r.uid === existing.metadata.uid)) this.#objects.delete(k);
        }
      }
      return;
    }
    return statusObject(405, 'MethodNotAllowed', `${record.method} is not supported`);
  }

  #watch(res: ServerResponse, record: RecordedRequest, namespace: string) {
    const from = Number(record.query.resourceVersion ?? this.#rv);
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const watcher: Watcher = { res, namespace, selector: record.query.labelSelector };
    if (from < this.#compactedBelow) {
      this.#endWatch(watcher);
      return;
    }
    for (const h of this.#history) {
      if (h.rv > from && matchesSelector(h.object.metadata.labels, watcher.selector)) {
        res.write(`${JSON.stringify({ type: h.type, object: h.object })}\n`);
      }
    }
    this.#watchers.add(watcher);
    res.on('close', () => this.#watchers.delete(watcher));
    for (const resolve of this.#watchOpened.splice(0)) resolve();
  }
}

function selectorOf(deployment: Obj): string {
  return Object.entries(deployment.spec.selector.matchLabels as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function matchesFields(object: Obj, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [path, value] = term.split('=');
    let at: unknown = object;
    for (const part of path!.split('.')) at = (at as Record<string, unknown> | undefined)?.[part];
    return at === value;
  });
}

function mergePatch(target: Record<string, unknown>, patch: unknown) {
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null) {
      mergePatch(target[k] as Record<string, unknown>, v);
    } else target[k] = v;
  }
}
