import { after } from 'node:test';
import { createAgentLogger, KubernetesDriver } from '@streamspace/agent';
import { FakeKubeApi } from '@streamspace/agent/testing/fake-kube-api';
import { runDriverContract } from '../support/driver-contract.js';
import { XTERM_IMAGE, requireContainerEngine } from '../support/podman.js';
import { PodmanKubelet, podman } from '../support/podman-kubelet.js';

// The shared SessionDriver contract, run against the Kubernetes driver: its requests go to the
// fake Kubernetes API, whose pods are run for real by podman (`podman kube play` of the pod spec
// exactly as the driver wrote it). So start, VNC, hibernate with the home kept, resume, exec,
// delete and the missing-image failure are checked end to end on real containers, without a
// cluster; the Service is stood in for by the pod's address.
let api: FakeKubeApi | undefined;
let kubelet: PodmanKubelet | undefined;

runDriverContract(
  'kubernetes (fake API, pods run by podman)',
  async () => {
    await requireContainerEngine();
    api = await FakeKubeApi.start();
    const k = (kubelet = await PodmanKubelet.attach(api));
    const driver = new KubernetesDriver({
      kubeConfig: api.kubeConfig(),
      agentId: `k8s-contract-${process.pid}`,
      namespace: 'streamspace',
      agentNamespace: 'streamspace',
      homeSize: '1Gi',
      imagePullPolicy: 'IfNotPresent',
      readyTimeoutMs: 60_000,
      logger: createAgentLogger('silent'),
      resolveEndpoint: ({ name }) => ({ host: k.address(name.replace(/^streamspace-session-/, '')), port: 5900 }),
    });
    await driver.prepare();
    return driver;
  },
  {
    image: XTERM_IMAGE,
    exec: (sessionId, command) => podman('exec', kubelet!.container(sessionId), 'sh', '-c', command),
  },
);

after(async () => {
  await kubelet?.close();
  await api?.close();
});
