import { readFileSync } from 'node:fs';
import type { InProcessTunnels, Registered } from '@streamspace/protocol';
import type { AgentConfig } from './config.js';
import { createAgentLogger, type Logger } from './logger.js';
import { CommandRunner } from './commands/command-runner.js';
import { ControlConnection } from './connection/control-connection.js';
import { DriverError, type SessionDriver } from './drivers/session-driver.js';
import { connectDocker } from './drivers/docker/docker-connection.js';
import { DockerDriver } from './drivers/docker/docker-driver.js';
import type { ImageRecipes } from './drivers/docker/image-build.js';
import { createKubernetesDriver, loadKubeConfig } from './drivers/kubernetes/kubernetes-connection.js';
import { kubernetesPool, readDockerPool } from './drivers/platform-pool.js';
import { CredentialFileError, loadOrCreateCredential } from './connection/agent-credential.js';

export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface RunningAgent {
  readonly config: AgentConfig;
  readonly driver: SessionDriver;
  readonly connection: ControlConnection;
  readonly logger: Logger;
  /** Resolves on the first registration. */
  readonly registered: Promise<Registered>;
  /** VNC tunnels this agent holds open. */
  openTunnels(): number;
  stop(): Promise<void>;
}

export interface AgentOptions {
  logger?: Logger;
  /** A driver made elsewhere (tests, or a platform built in another module). */
  driver?: SessionDriver;
  onFatal?: (problem: string) => void;
  /** The bundled catalog's recipes, built when missing if IMAGE_BUILD_ON_DEMAND (the CLI supplies them). */
  imageRecipes?: ImageRecipes;
  /** Given when the agent runs in the control plane's process (`streamspace up`): one-hop VNC streams. */
  inProcessTunnels?: InProcessTunnels;
}

/** The platform's driver and the pool it belongs to (AGENT_POOL, else derived from the platform). */
export interface PlatformDriver {
  driver: SessionDriver;
  pool: string;
}

export async function createDriver(
  config: AgentConfig,
  logger: Logger,
  imageRecipes?: ImageRecipes,
): Promise<PlatformDriver> {
  if (config.platform === 'kubernetes') {
    const pool =
      config.pool ??
      kubernetesPool(
        config.namespace,
        loadKubeConfig(config.kubeconfig).kubeConfig.getCurrentCluster()?.server ?? '(no cluster)',
      );
    return { driver: await createKubernetesDriver({ ...config, pool }, logger), pool };
  }
  if (config.platform !== 'docker') {
    throw new DriverError(
      'platform_unavailable',
      `PLATFORM: ${String(config.platform)} has no driver in this build; use docker or kubernetes`,
    );
  }
  const { docker, endpoint, engine } = await connectDocker(config.dockerHost);
  const pool = config.pool ?? (await readDockerPool(docker, endpoint));
  logger.info({ endpoint, engine, pool }, `Using ${engine} at ${endpoint}, pool ${pool}`);
  if (config.imageBuildOnDemand && imageRecipes) {
    logger.info(
      'IMAGE_BUILD_ON_DEMAND: a missing bundled session image is built on this engine when a session needs it',
    );
  } else if (config.imageBuildOnDemand) {
    logger.warn(
      'IMAGE_BUILD_ON_DEMAND is true but this agent has no image recipes (it runs without the repository checkout): a missing image fails its session; build images with `streamspace image build`',
    );
  }
  const driver = new DockerDriver({
    docker,
    agentId: config.agentId,
    pool,
    network: config.sessionNetwork,
    vncAccess: config.vncAccess,
    egress: config.sessionEgress,
    localEngine: endpoint.startsWith('unix:'),
    readyTimeoutMs: config.sessionReadyTimeoutMs,
    logger: logger.child({ component: 'docker' }),
    ...(config.imageBuildOnDemand && imageRecipes ? { imageRecipes } : {}),
  });
  await driver.prepare();
  return { driver, pool };
}

/** Wires config → logger → driver → runner → connection, and dials out. */
export async function startAgent(config: AgentConfig, options: AgentOptions = {}): Promise<RunningAgent> {
  const logger = (options.logger ?? createAgentLogger(config.logLevel)).child({ agentId: config.agentId });
  const credential = await loadOrCreateCredential(config.credentialFile);
  if (credential.warning) logger.warn(credential.warning);
  if (credential.created) {
    if (!config.agentToken) {
      throw new CredentialFileError(
        config.credentialFile,
        `no credential was there, so AGENT_ID ${config.agentId} must enroll: set AGENT_TOKEN to the control plane's AGENT_TOKEN (a new credential was written, mode 0600)`,
      );
    }
    logger.info(
      `Created this agent's credential in ${config.credentialFile} (mode 0600); it enrolls with the join token`,
    );
  }
  const made = options.driver
    ? { driver: options.driver, pool: config.pool }
    : await createDriver(config, logger, options.imageRecipes);
  const driver = made.driver;
  // A driver made elsewhere belongs to AGENT_POOL, or to no pool (a pool of its own).
  config = { ...config, pool: made.pool };
  const runner = new CommandRunner(
    driver,
    logger.child({ component: 'commands' }),
    config.controlPlaneUrl,
    credential.value,
    options.inProcessTunnels,
  );
  let connection: ControlConnection | undefined = undefined;
  const stop = async () => {
    runner.closeAllTunnels();
    await connection?.stop();
    await driver.close();
  };
  connection = new ControlConnection(config, credential.value, driver, runner, logger, AGENT_VERSION, (problem) => {
    void stop();
    options.onFatal?.(problem);
  });
  const registered = connection.start();
  return { config, driver, connection, logger, registered, stop, openTunnels: () => runner.openTunnels };
}
