// deploy/manifests (the manual deployment path) and deploy/compose (the Docker path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { render, repoRoot } from '../support/helm-chart.js';
import { containers, find, parseObjects, type KubeObject } from '../support/kube-objects.js';
import { validateKubernetesObject } from '../support/kubernetes-schema.js';
import {
  AGENT_ENV,
  AGENT_ROLE_GRANTS,
  CONTROL_PLANE_ENV,
  assertAdminPasswordFromSecret,
  assertControlPlaneProbes,
  env,
  restrictedPodSecurityViolations,
  roleGrants,
  unknownEnv,
} from '../support/deploy-rules.js';

const manifestsDir = join(repoRoot, 'deploy/manifests');

async function manifests(): Promise<Array<{ file: string; objects: KubeObject[] }>> {
  const files = (await readdir(manifestsDir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (file) => ({ file, objects: parseObjects(await readFile(join(manifestsDir, file), 'utf8')) })),
  );
}

async function allManifestObjects(): Promise<KubeObject[]> {
  return (await manifests()).flatMap((m) => m.objects);
}

test('every file in deploy/manifests validates against the Kubernetes schemas', async () => {
  const files = await manifests();
  assert.ok(files.length >= 4, files.map((f) => f.file).join(', '));
  for (const { file, objects } of files) {
    assert.ok(objects.length > 0, `${file} holds objects`);
    for (const object of objects) {
      assert.doesNotThrow(() => validateKubernetesObject(object), file);
      if (object.kind === 'Namespace') continue;
      // The agent's Role (and its binding) lives where sessions run, and only there.
      const expected = /^Role/.test(object.kind) ? 'streamspace-sessions' : 'streamspace';
      assert.equal(object.metadata.namespace, expected, `${file}: ${object.kind} ${object.metadata.name}`);
    }
  }
});

test('the schema check catches a broken manifest (the validation is not a formality)', () => {
  const broken = parseObjects(
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  selector: {matchLabels: {a: b}}\n' +
      '  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n        - name: c\n          ports: [{containerPort: "8080"}]\n',
  );
  assert.throws(() => validateKubernetesObject(broken[0]!), /containerPort must be integer/);
  assert.throws(
    () => validateKubernetesObject({ apiVersion: 'v1', kind: 'ConfigMapz', metadata: { name: 'x' } }),
    /no schema/,
  );
  const misspelt = structuredClone(broken[0]!);
  misspelt.spec.template.spec.containers[0].ports[0].containerPort = 8080;
  misspelt.spec.template.spec.containers[0].readinesProbe = { httpGet: { path: '/ready', port: 8080 } };
  misspelt.spec.template.metadata.lables = { a: 'b' };
  assert.throws(
    () => validateKubernetesObject(misspelt),
    /spec\.template\.metadata\.lables: unknown field; spec\.template\.spec\.containers\[0\]\.readinesProbe: unknown field/,
  );
});

test('manifests: control plane probes, real settings, admin password from its Secret', async () => {
  const objects = await allManifestObjects();
  const cp = find(objects, 'Deployment', 'streamspace').spec.template.spec.containers[0];
  assert.equal(cp.image, 'streamspace/control-plane:0.1.0');
  assertControlPlaneProbes(cp);
  assertAdminPasswordFromSecret(cp, 'streamspace-admin-credentials');
  for (const { container } of containers(objects)) assert.deepEqual(unknownEnv(container), [], container.name);
  assert.equal(find(objects, 'Service', 'streamspace').spec.ports[0].targetPort, 'http');
});

test('manifests: both namespaces enforce the restricted Pod Security level, and every pod meets it', async () => {
  const objects = await allManifestObjects();
  for (const namespace of ['streamspace', 'streamspace-sessions']) {
    const labels = find(objects, 'Namespace', namespace).metadata.labels ?? {};
    assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted', namespace);
  }
  const owners = new Set(containers(objects).map((c) => c.owner));
  assert.ok(owners.size >= 2);
  for (const owner of owners) {
    assert.deepEqual(restrictedPodSecurityViolations(owner.spec.template.spec), [], owner.metadata.name);
  }
});

test('manifests: the agent has the agreed label, command and a Role with exactly the verbs it uses', async () => {
  const objects = await allManifestObjects();
  const deployment = find(objects, 'Deployment', 'streamspace-k8s-agent');
  const pod = deployment.spec.template;
  assert.equal(pod.metadata.labels['streamspace.io/component'], 'agent');
  assert.equal(pod.spec.serviceAccountName, 'streamspace-agent');
  const agent = pod.spec.containers[0];
  assert.equal(agent.image, 'streamspace/agent:0.1.0');
  assert.deepEqual(agent.args, ['agent', 'kubernetes']);
  assert.equal(env(agent, 'CONTROL_PLANE_URL').value, 'ws://streamspace.streamspace.svc:8080/agent/ws');
  assert.equal(env(agent, 'NAMESPACE').value, 'streamspace-sessions');
  const binding = find(objects, 'RoleBinding', 'streamspace-agent');
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'streamspace-agent', namespace: 'streamspace' }]);
  assert.deepEqual(roleGrants(find(objects, 'Role', 'streamspace-agent')), AGENT_ROLE_GRANTS);
  assert.equal(objects.filter((o) => /Cluster/.test(o.kind)).length, 0);
});

test('manifests match what the chart renders for release "streamspace" (same names, Role, env names)', async () => {
  const manual = await allManifestObjects();
  const chart = await render({
    set: { 'k8sAgent.enabled': true, 'ingress.enabled': true, 'ingress.tls.enabled': true },
  });
  for (const [kind, name] of [
    ['Deployment', 'streamspace'],
    ['Service', 'streamspace'],
    ['Deployment', 'streamspace-k8s-agent'],
    ['ServiceAccount', 'streamspace-agent'],
    ['Role', 'streamspace-agent'],
    ['RoleBinding', 'streamspace-agent'],
    ['Ingress', 'streamspace'],
  ] as const) {
    find(chart, kind, name);
    find(manual, kind, name);
  }
  assert.deepEqual(
    roleGrants(find(manual, 'Role', 'streamspace-agent')),
    roleGrants(find(chart, 'Role', 'streamspace-agent')),
  );
  const ingressAnnotations = (objects: KubeObject[]) => find(objects, 'Ingress', 'streamspace').metadata.annotations;
  assert.deepEqual(ingressAnnotations(manual), ingressAnnotations(chart));
});

test('compose: services use the built images, the right commands and only real settings', async () => {
  const text = await readFile(join(repoRoot, 'deploy/compose/compose.yaml'), 'utf8');
  const compose = parse(text);
  const { postgres, 'control-plane': cp, agent } = compose.services;
  assert.ok(postgres && cp && agent, Object.keys(compose.services).join(', '));
  assert.match(cp.image, /^streamspace\/control-plane:\$\{STREAMSPACE_VERSION:-0\.1\.0\}$/);
  assert.match(agent.image, /^streamspace\/agent:\$\{STREAMSPACE_VERSION:-0\.1\.0\}$/);
  assert.deepEqual(cp.command, ['server']);
  assert.deepEqual(agent.command, ['agent', 'docker']);

  const unknown = (vars: Record<string, string>, known: Set<string>) => Object.keys(vars).filter((n) => !known.has(n));
  assert.deepEqual(unknown(cp.environment, CONTROL_PLANE_ENV), []);
  assert.deepEqual(unknown(agent.environment, AGENT_ENV), []);
  assert.equal(agent.environment.PLATFORM, 'docker');

  // Secrets are required from .env (compose refuses to start without them), never defaulted.
  for (const name of ['JWT_SECRET', 'AGENT_TOKEN', 'ADMIN_PASSWORD', 'DB_PASSWORD']) {
    assert.match(cp.environment[name], /^\$\{[A-Z_]+:\?[^}]+\}$/, name);
  }
  assert.equal(agent.environment.AGENT_TOKEN, cp.environment.AGENT_TOKEN, 'the agent presents the control plane token');
  assert.equal(cp.environment.DB_PASSWORD, postgres.environment.POSTGRES_PASSWORD);
  assert.equal(cp.environment.DB_HOST, 'postgres');

  // The agent (host network) dials the port the control plane is published on, at /agent/ws.
  const [published, containerPort] = String(cp.ports[0]).split(/:(?=[^:]*$)/);
  assert.equal(containerPort, cp.environment.PORT);
  assert.equal(agent.network_mode, 'host');
  assert.equal(agent.environment.CONTROL_PLANE_URL, `ws://127.0.0.1:${published}/agent/ws`);
  assert.ok(cp.healthcheck.test.join(' ').includes(`http://127.0.0.1:${cp.environment.PORT}/ready`));
  assert.equal(agent.depends_on['control-plane'].condition, 'service_healthy');
  assert.equal(cp.depends_on.postgres.condition, 'service_healthy');
});
