export {
  loadAgentConfig,
  checkHeartbeat,
  agentConfigurationTable,
  AGENT_SETTINGS,
  type AgentConfig,
} from './config.js';
export {
  startAgent,
  createDriver,
  AGENT_VERSION,
  type RunningAgent,
  type AgentOptions,
  type PlatformDriver,
} from './agent.js';
export { dockerPool, kubernetesPool, readDockerPool } from './drivers/platform-pool.js';
export { createAgentLogger } from './logger.js';
export {
  DriverError,
  type SessionDriver,
  type SessionSpec,
  type VncEndpoint,
  type DriverSession,
} from './drivers/session-driver.js';
export { readRfbBanner } from './drivers/vnc-probe.js';
export { connectDocker } from './drivers/docker/docker-connection.js';
export { DockerDriver, type DockerDriverOptions } from './drivers/docker/docker-driver.js';
export { parseBuildStep, type ImageRecipe, type ImageRecipes } from './drivers/docker/image-build.js';
export { LABELS, containerName, homeVolumeName } from './drivers/docker/labels.js';
export { demuxLogs } from './drivers/docker/docker-logs.js';
export { dialRawTunnel, tunnelUrl } from './tunnel/vnc-tunnel.js';
export { KubernetesDriver, type KubernetesDriverOptions } from './drivers/kubernetes/kubernetes-driver.js';
export { loadKubeConfig, resolveAgentNamespace } from './drivers/kubernetes/kubernetes-connection.js';
export {
  buildSessionManifests,
  toWire,
  ownedBy,
  type SessionManifests,
  type ManifestOptions,
} from './drivers/kubernetes/session-manifests.js';
export { K8S_LABELS, AGENT_POD_LABEL } from './drivers/kubernetes/labels.js';
export { vncAuthResponse, revealVncPassword } from './tunnel/vnc-password.js';
export { ByteReader } from './tunnel/byte-reader.js';
export { applyEgressRules, removeEgressRules, EgressNotEnforcedError } from './drivers/docker/egress-firewall.js';
export { egressChainName } from './drivers/docker/egress-rules.js';
export { SESSION_EGRESS_POLICIES, BLOCKED_IPV4_RANGES, type SessionEgress } from './drivers/session-egress.js';
export { listCommand, readCommand, writeCommand } from './files/file-scripts.js';
