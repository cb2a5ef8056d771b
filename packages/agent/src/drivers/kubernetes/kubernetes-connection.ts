import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AgentConfig } from '../../config.js';
import { DriverError } from '../session-driver.js';
import { KubernetesDriver } from './kubernetes-driver.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * KUBECONFIG if set; else the pod's ServiceAccount (in-cluster) when its token is mounted; else
 * ~/.kube/config. Returns where the configuration came from, for the start-up log line.
 */
export function loadKubeConfig(
  kubeconfig: string | undefined,
  /** `root` prefixes the ServiceAccount path (tests use a temporary directory). */
  paths = { root: '', home: homedir() },
): { kubeConfig: KubeConfig; source: string } {
  const kubeConfig = new KubeConfig();
  try {
    if (kubeconfig) {
      kubeConfig.loadFromFile(kubeconfig);
      return { kubeConfig, source: `KUBECONFIG=${kubeconfig}` };
    }
    if (existsSync(`${paths.root}${SERVICE_ACCOUNT_DIR}/token`)) {
      kubeConfig.loadFromCluster(paths.root);
      return { kubeConfig, source: 'in-cluster ServiceAccount' };
    }
    const file = join(paths.home, '.kube', 'config');
    if (existsSync(file)) {
      kubeConfig.loadFromFile(file);
      return { kubeConfig, source: file };
    }
  } catch (error) {
    throw new DriverError(
      'platform_unavailable',
      `KUBECONFIG: cannot load ${kubeconfig ?? 'the kubeconfig'}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  throw new DriverError(
    'platform_unavailable',
    `No Kubernetes configuration: not in a pod (no ${SERVICE_ACCOUNT_DIR}/token) and no ${join(paths.home, '.kube', 'config')}; set KUBECONFIG to a kubeconfig file`,
  );
}

/** AGENT_NAMESPACE, else the namespace of the pod the agent runs in, else the session namespace. */
export function resolveAgentNamespace(
  config: Pick<AgentConfig, 'agentNamespace' | 'namespace'>,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): string {
  if (config.agentNamespace) return config.agentNamespace;
  try {
    const own = readFileSync(join(serviceAccountDir, 'namespace'), 'utf8').trim();
    if (own) return own;
  } catch {
    // Not in a pod: the agent is taken to live beside its sessions.
  }
  return config.namespace;
}

export async function createKubernetesDriver(config: AgentConfig, logger: Logger): Promise<KubernetesDriver> {
  const { kubeConfig, source } = loadKubeConfig(config.kubeconfig);
  const agentNamespace = resolveAgentNamespace(config);
  const server = kubeConfig.getCurrentCluster()?.server ?? '(no cluster)';
  logger.info(
    { server, source, namespace: config.namespace, agentNamespace },
    `Using Kubernetes at ${server} (${source}), sessions in namespace ${config.namespace}`,
  );
  const driver = new KubernetesDriver({
    kubeConfig,
    agentId: config.agentId,
    pool: config.pool,
    namespace: config.namespace,
    agentNamespace,
    homeSize: config.sessionHomeSize,
    storageClass: config.sessionStorageClass,
    imagePullPolicy: config.sessionImagePullPolicy,
    egress: config.sessionEgress,
    readyTimeoutMs: config.sessionReadyTimeoutMs,
    logger: logger.child({ component: 'kubernetes' }),
  });
  await driver.prepare();
  return driver;
}
