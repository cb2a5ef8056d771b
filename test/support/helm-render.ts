import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const chartDir = join(repoRoot, 'deploy/helm/streamspace');

/** A Kubernetes object as rendered: only the fields every test reads are typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

let built: Promise<string> | undefined;

/**
 * Compiles test/tools/helm-render once per process. Debian ships sprig and yaml as GOPATH sources
 * (golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v3-dev), hence GOPATH mode.
 */
export function helmRenderBinary(): Promise<string> {
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamspace-helm-render-'));
    const binary = join(dir, 'helm-render');
    await run('go', ['build', '-o', binary, './test/tools/helm-render'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        GOPATH: '/usr/share/gocode',
        GO111MODULE: 'off',
        GOFLAGS: '',
        GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'streamspace-go-cache'),
      },
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(
        `building helm-render failed (apt-get install golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev): ${error.stderr ?? error.message}`,
      );
    });
    return binary;
  })();
  return built;
}

export interface RenderOptions {
  /** `--set` overrides, e.g. `{ 'k8sAgent.enabled': true }`. */
  set?: Record<string, string | number | boolean>;
  releaseName?: string;
  namespace?: string;
  upgrade?: boolean;
  /** Objects `lookup` finds, standing in for what a cluster already holds. */
  existing?: KubeObject[];
  notes?: boolean;
  chart?: string;
}

/** Renders the chart like `helm template`; rejects with the renderer's error text. */
export async function renderRaw(options: RenderOptions = {}): Promise<string> {
  const args = [
    '--release-name',
    options.releaseName ?? 'streamspace',
    '--namespace',
    options.namespace ?? 'streamspace',
  ];
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${String(value)}`);
  if (options.upgrade) args.push('--upgrade');
  if (options.notes) args.push('--notes');
  if (options.existing) {
    const file = join(await mkdtemp(join(tmpdir(), 'streamspace-lookup-')), 'existing.yaml');
    await writeFile(file, options.existing.map((o) => JSON.stringify(o)).join('\n---\n'));
    args.push('--lookup', file);
  }
  args.push(options.chart ?? chartDir);
  try {
    const { stdout } = await run(await helmRenderBinary(), args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(e.stderr?.trim() || e.message, { cause: error });
  }
}

export async function render(options: RenderOptions = {}): Promise<KubeObject[]> {
  return parseObjects(await renderRaw(options));
}

/** Parses a multi-document YAML stream, failing on any YAML error and skipping empty documents. */
export function parseObjects(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
    const value = doc.toJS() as KubeObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** Every container of every pod template, with the object it belongs to. */
export function containers(objects: KubeObject[]): Array<{ owner: KubeObject; container: any; podSpec: any }> {
  return objects.flatMap((owner) => {
    const podSpec = owner.spec?.template?.spec;
    return podSpec ? (podSpec.containers as any[]).map((container) => ({ owner, container, podSpec })) : [];
  });
}
