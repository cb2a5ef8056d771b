import { after } from 'node:test';
import type Docker from 'dockerode';
import { createAgentLogger, DockerDriver, containerName } from '@streamspace/agent';
import { runDriverContract } from '../support/driver-contract.js';
import { XTERM_IMAGE, execIn, removeAgentResources, requireContainerEngine } from '../support/podman.js';

const AGENT_ID = `contract-${process.pid}`;
let docker: Docker;

runDriverContract(
  'docker (podman API)',
  async () => {
    docker = await requireContainerEngine();
    const driver = new DockerDriver({
      docker,
      agentId: AGENT_ID,
      network: 'streamspace-sessions',
      vncAccess: 'container-ip',
      readyTimeoutMs: 30_000,
      logger: createAgentLogger('silent'),
    });
    await driver.prepare();
    return driver;
  },
  { image: XTERM_IMAGE, exec: (sessionId, command) => execIn(docker, containerName(sessionId), command) },
);

after(async () => {
  if (docker) await removeAgentResources(docker, AGENT_ID);
});
