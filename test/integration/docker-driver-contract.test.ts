import { after } from 'node:test';
import type Docker from 'dockerode';
import { containerName } from '@streamspace/agent';
import { runDriverContract } from '../support/driver-contract.js';
import {
  XTERM_IMAGE,
  execIn,
  removeAgentResources,
  requireContainerEngine,
  testDockerDriver,
} from '../support/podman.js';

const AGENT_ID = `contract-${process.pid}`;
// A pool of this run's own: the contract's clean-up removes every session its driver lists, and
// the engine's default pool would list other test files' sessions too.
const POOL = `docker:contract-${process.pid}`;
let docker: Docker;

const makeDriver = async (agentId: string) => {
  docker = await requireContainerEngine();
  return testDockerDriver({ docker, agentId, pool: POOL });
};

runDriverContract('docker (podman API)', () => makeDriver(AGENT_ID), {
  image: XTERM_IMAGE,
  exec: (sessionId, command) => execIn(docker, containerName(sessionId), command),
  makePoolPeer: () => makeDriver(`${AGENT_ID}-peer`),
});

after(async () => {
  if (docker) await removeAgentResources(docker, AGENT_ID);
});
