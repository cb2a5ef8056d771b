import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export type KubeTool = 'helm' | 'kubectl';

let paths: Promise<Record<KubeTool, string>> | undefined;

/**
 * Where `scripts/test-cluster.sh build` put helm and kubectl (its `paths` command prints
 * `HELM=<path>` and `KUBECTL=<path>` for the pinned build; no cluster needed). Asked once per process.
 */
export function kubeToolPaths(): Promise<Record<KubeTool, string>> {
  paths ??= run('bash', ['scripts/test-cluster.sh', 'paths'], { cwd: repoRoot }).then(
    ({ stdout }) => {
      const line = (name: string) => {
        const value = new RegExp(`^${name}=(.+)$`, 'm').exec(stdout)?.[1];
        if (!value) throw new Error(`scripts/test-cluster.sh paths printed no ${name}= line:\n${stdout}`);
        return value.trim();
      };
      return { helm: line('HELM'), kubectl: line('KUBECTL') };
    },
    (error: Error & { stderr?: string }) => {
      throw new Error(`scripts/test-cluster.sh paths failed: ${error.stderr?.trim() || error.message}`, {
        cause: error,
      });
    },
  );
  return paths;
}

/** The path of a built tool; fails saying how to build it when it is not there. */
export async function kubeTool(tool: KubeTool): Promise<string> {
  const path = (await kubeToolPaths())[tool];
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new Error(
      `${tool} is not built: ${path} is missing. Run \`bash scripts/test-cluster.sh build\` (it builds the pinned helm, kubectl and Kubernetes from source once per pin)`,
    );
  }
  return path;
}

export interface HelmOptions {
  cwd?: string;
  /** Added to the environment (helm's own state goes to a private temp dir unless set here). */
  env?: Record<string, string>;
}

/** helm's caches and repository config, away from the user's ~/.config/helm and ~/.cache/helm. */
const HELM_HOME = join(tmpdir(), 'streamspace-test-helm');

/** Runs helm and returns its stdout; rejects with an error that carries helm's stderr. */
export async function helm(args: string[], options: HelmOptions = {}): Promise<string> {
  const binary = await kubeTool('helm');
  try {
    const { stdout } = await run(binary, args, {
      cwd: options.cwd ?? repoRoot,
      maxBuffer: 32 * 1024 * 1024,
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(HELM_HOME, 'cache'),
        HELM_CONFIG_HOME: join(HELM_HOME, 'config'),
        HELM_DATA_HOME: join(HELM_HOME, 'data'),
        ...options.env,
      },
    });
    return stdout;
  } catch (error) {
    const e = error as Error & { stderr?: string; stdout?: string };
    throw new HelmError(args, e.stderr?.trim() || e.message, e.stdout ?? '', { cause: error });
  }
}

/**
 * helm exited non-zero. `stderr` is its error (naming the value or template); `stdout` holds what
 * it printed before, e.g. `helm lint`'s report, whose [ERROR] lines say what failed.
 */
export class HelmError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    readonly stdout: string,
    options?: ErrorOptions,
  ) {
    super(`helm ${args.join(' ')} failed:\n${stderr}${stdout ? `\n${stdout}` : ''}`, options);
    this.name = 'HelmError';
  }
}
