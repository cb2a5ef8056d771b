import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { buildSessionManifests, ownedBy, toWire, type ManifestOptions, type SessionSpec } from '@streamspace/agent';
import { xtermSession } from '../support/driver-contract.js';

/**
 * The manifests the Kubernetes driver generates, checked without a cluster against Kubernetes'
 * published OpenAPI schemas (as carried by kubernetes-models 5.1) and for fields their types do
 * not have. kubernetes-cluster.test.ts runs them on a real API server and kubelet.
 */

const xterm = (sessionId = randomUUID(), template: Partial<SessionSpec['template']> = {}) =>
  xtermSession({ sessionId, template });
const options: ManifestOptions = {
  agentId: 'k8s-pod-spec',
  namespace: 'streamspace',
  agentNamespace: 'streamspace-system',
  homeSize: '5Gi',
  storageClass: 'standard',
  imagePullPolicy: 'IfNotPresent',
};

test("every manifest the driver generates is valid against Kubernetes' published schemas", () => {
  const variants = [
    buildSessionManifests(xterm(), options, 1, 'pw123456'),
    buildSessionManifests(xterm(), options, 0), // hibernated
    buildSessionManifests(xterm(randomUUID(), { persistent_home: false, env: { LANG: 'C.UTF-8' } }), {
      ...options,
      agentId: `an agent id that is no label value ${'x'.repeat(80)}`,
      storageClass: undefined,
    }),
    buildSessionManifests(
      xterm(randomUUID(), { image: 'streamspace/desktop:latest', vnc_port: 5901, cpu_limit: 2, memory_limit_mb: 4096 }),
      options,
    ),
  ];
  let validated = 0;
  for (const m of variants) {
    // As the driver sends them: the Service and NetworkPolicy owned by the created Deployment.
    const created = { ...m.deployment, metadata: { ...m.deployment.metadata, uid: randomUUID() } };
    const ownerReferences = [ownedBy(created)];
    const wire = toWire({
      ...m,
      service: { ...m.service, metadata: { ...m.service.metadata, ownerReferences } },
      networkPolicy: { ...m.networkPolicy, metadata: { ...m.networkPolicy.metadata, ownerReferences } },
    });
    new Deployment(wire.deployment as never).validate();
    new Service(wire.service as never).validate();
    new NetworkPolicy(wire.networkPolicy as never).validate();
    validated += 3;
    if (wire.homeClaim) {
      new PersistentVolumeClaim(wire.homeClaim as never).validate();
      validated++;
    }
    if (wire.vncSecret) {
      new Secret(wire.vncSecret as never).validate();
      validated++;
    }
  }
  assert.equal(validated, 16);
  // The check has teeth: a field of the wrong type is refused, naming where it is.
  const broken = toWire(buildSessionManifests(xterm(), options)).deployment as unknown as {
    spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } };
  };
  broken.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'vnc';
  assert.throws(
    () => new Deployment(broken as never).validate(),
    /spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/,
  );
});
