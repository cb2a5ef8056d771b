import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helm, repoRoot } from './kube-tools.js';
import { find, parseObjects, type KubeObject } from './kube-objects.js';

export { repoRoot };
export const chartDir = join(repoRoot, 'deploy/helm/streamspace');

export interface RenderOptions {
  /**
   * `--set key=value` overrides, passed as a user types them: helm turns `true`/`false` into
   * booleans and whole numbers into integers, anything else stays a string.
   */
  set?: Record<string, string | number | boolean>;
  releaseName?: string;
  namespace?: string;
  /** Render as `helm upgrade` would (`--is-upgrade`). */
  upgrade?: boolean;
  chart?: string;
}

function setArgs(set: RenderOptions['set'] = {}): string[] {
  return Object.entries(set).flatMap(([key, value]) => ['--set', `${key}=${String(value)}`]);
}

/** `helm template`, as `helm install` renders (schema validation included); rejects with HelmError. */
export async function renderRaw(options: RenderOptions = {}): Promise<string> {
  const args = [
    'template',
    options.releaseName ?? 'streamspace',
    options.chart ?? chartDir,
    '--namespace',
    options.namespace ?? 'streamspace',
    ...setArgs(options.set),
  ];
  if (options.upgrade) args.push('--is-upgrade');
  return helm(args);
}

export async function render(options: RenderOptions = {}): Promise<KubeObject[]> {
  return parseObjects(await renderRaw(options));
}

/** `helm lint --strict` (a value path missing from values.yaml is an error); returns helm's report. */
export async function lint(options: Pick<RenderOptions, 'set' | 'namespace' | 'chart'> = {}): Promise<string> {
  return helm([
    'lint',
    options.chart ?? chartDir,
    '--strict',
    '--namespace',
    options.namespace ?? 'streamspace',
    ...setArgs(options.set),
  ]);
}

/**
 * NOTES.txt as `helm install` prints it. `helm template` renders the notes but never prints them,
 * so a copy of the chart carries the same text as a ConfigMap's data, rendered by the same engine.
 */
export async function renderNotes(options: Omit<RenderOptions, 'chart'> = {}): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'streamspace-chart-notes-'));
  try {
    await cp(chartDir, copy, { recursive: true });
    const notes = await readFile(join(chartDir, 'templates/NOTES.txt'), 'utf8');
    const indented = notes
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n');
    await writeFile(
      join(copy, 'templates/zz-notes-as-configmap.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rendered-notes\ndata:\n  notes: |\n${indented}\n`,
    );
    const objects = await render({ ...options, chart: copy });
    return find(objects, 'ConfigMap', 'rendered-notes').data.notes as string;
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}
