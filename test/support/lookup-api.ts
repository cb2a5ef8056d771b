import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from './kube-objects.js';

/**
 * The two API calls helm's `lookup` makes for a core object, answered from a fixed list: discovery
 * of `/api/v1` (to map kind Secret to resource `secrets`) and `GET
 * /api/v1/namespaces/{ns}/secrets/{name}` (404 Status when absent, which lookup turns into an
 * empty map). `helm template --dry-run=server --kubeconfig <this>` then renders the chart as
 * `helm upgrade` would against a cluster holding these Secrets. It stands in for the API server
 * only until the tests get the real one from `scripts/test-cluster.sh up`.
 */
export class LookupApi {
  private constructor(
    private readonly server: Server,
    /** A kubeconfig whose current context is this server. */
    readonly kubeconfig: string,
    /** `METHOD <path>` of every request, in order. */
    readonly requests: string[],
  ) {}

  static async start(objects: KubeObject[]): Promise<LookupApi> {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      requests.push(`${req.method} ${path}`);
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && path === '/api/v1') {
        return reply(200, {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: 'v1',
          resources: [{ name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get'] }],
        });
      }
      const match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(path);
      const found =
        req.method === 'GET' && match
          ? objects.find(
              (o) => o.kind === 'Secret' && o.metadata.namespace === match[1] && o.metadata.name === match[2],
            )
          : undefined;
      if (found) return reply(200, found);
      reply(404, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
        message: `${path} not found`,
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const kubeconfig = join(await mkdtemp(join(tmpdir(), 'streamspace-lookup-api-')), 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'lookup', cluster: { server: `http://127.0.0.1:${port}` } }],
        users: [{ name: 'lookup', user: {} }],
        contexts: [{ name: 'lookup', context: { cluster: 'lookup', user: 'lookup' } }],
        'current-context': 'lookup',
      }),
      { mode: 0o600 },
    );
    return new LookupApi(server, kubeconfig, requests);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}
