import type Docker from 'dockerode';
import type { Writable } from 'node:stream';
import type { InProcessTunnels } from '@streamspace/protocol';
import {
  connectDocker,
  createAgentLogger,
  demuxLogs,
  DockerDriver,
  LABELS,
  loadAgentConfig,
  startAgent,
  type DockerDriverOptions,
  type ImageRecipes,
  type RunningAgent,
} from '@streamspace/agent';
import { AGENT_TOKEN } from './control-plane.js';
import { testCredentialFile } from './agent-process.js';

export const TEST_DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/streamspace-podman.sock';
export const XTERM_IMAGE = 'streamspace/xterm:latest';
export const CONTROL_PLANE_IMAGE = 'streamspace/control-plane:latest';
export const AGENT_IMAGE = 'streamspace/agent:latest';

/**
 * The real podman (or Docker) API and real images (by default the xterm session image). Missing
 * either is a test failure that says how to get it: `.ci/run` does both steps on a fresh machine.
 */
export async function requireContainerEngine(images: string[] = [XTERM_IMAGE]): Promise<Docker> {
  let docker: Docker;
  try {
    ({ docker } = await connectDocker(TEST_DOCKER_HOST));
  } catch (error) {
    throw new Error(`${(error as Error).message}\nPrepare this machine with: scripts/setup-podman.sh (as root)`, {
      cause: error,
    });
  }
  for (const image of images) {
    try {
      await docker.getImage(image).inspect();
    } catch (error) {
      const name = image.replace(/^streamspace\/|:latest$/g, '');
      throw new Error(`image ${image} is missing; build it with: npx streamspace image build ${name}`, {
        cause: error,
      });
    }
  }
  return docker;
}

/** A prepared DockerDriver on the test engine: the session network, container addresses, 30 s to VNC. */
export async function testDockerDriver(
  options: Pick<DockerDriverOptions, 'docker' | 'agentId' | 'pool'> & Partial<DockerDriverOptions>,
): Promise<DockerDriver> {
  const driver = new DockerDriver({
    network: 'streamspace-sessions',
    vncAccess: 'container-ip',
    egress: 'internet',
    localEngine: true,
    readyTimeoutMs: 30_000,
    logger: createAgentLogger('silent'),
    ...options,
  });
  await driver.prepare();
  return driver;
}

/** Removes every container and volume a test agent left behind. */
export async function removeAgentResources(docker: Docker, agentId: string): Promise<void> {
  const filters = { label: [`${LABELS.agentId}=${agentId}`] };
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
}

export async function sessionContainers(docker: Docker, sessionId: string) {
  return docker.listContainers({ all: true, filters: { label: [`${LABELS.sessionId}=${sessionId}`] } });
}

/** Runs a shell command inside a session container as its user; returns stdout. */
export async function execIn(docker: Docker, container: string, command: string): Promise<string> {
  const exec = await docker
    .getContainer(container)
    .exec({ Cmd: ['sh', '-c', command], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return demuxLogs(Buffer.concat(chunks));
}

/**
 * A real Docker agent, in this process, on the test podman, registered with `controlPlaneUrl`.
 * With `logs` it logs at info there (tests assert on its lines); otherwise it is silent.
 */
export async function startDockerAgent(
  controlPlaneUrl: string,
  agentId: string,
  options: {
    env?: Record<string, string>;
    logs?: Writable;
    imageRecipes?: ImageRecipes;
    /** A control plane in this process to hand VNC streams to, as `streamspace up` wires it. */
    inProcessTunnels?: InProcessTunnels;
  } = {},
): Promise<RunningAgent> {
  const loaded = loadAgentConfig(
    {
      AGENT_ID: agentId,
      CONTROL_PLANE_URL: controlPlaneUrl,
      AGENT_TOKEN,
      DOCKER_HOST: TEST_DOCKER_HOST,
      AGENT_CREDENTIAL_FILE: testCredentialFile(agentId),
      ...options.env,
    },
    { platform: 'docker' },
  );
  if (!loaded.ok) throw new Error(`test agent config invalid: ${loaded.problems.join('; ')}`);
  const agent = await startAgent(loaded.config, {
    logger: createAgentLogger(options.logs ? 'info' : 'silent', options.logs),
    ...(options.imageRecipes ? { imageRecipes: options.imageRecipes } : {}),
    ...(options.inProcessTunnels ? { inProcessTunnels: options.inProcessTunnels } : {}),
  });
  await agent.registered;
  return agent;
}
