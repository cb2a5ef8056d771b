// The Helm chart, linted and rendered by a real helm (3.18, built by scripts/test-cluster.sh
// build), checked against its values schema, Kubernetes' schemas and our programs' settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isPair, isScalar, parse, parseDocument, type Node } from 'yaml';
import { chartDir, lint, render, renderNotes, renderRaw, type RenderOptions } from '../support/helm-chart.js';
import { HelmError } from '../support/kube-tools.js';
import { containers, find, type KubeObject } from '../support/kube-objects.js';
import { validateKubernetesObject } from '../support/kubernetes-schema.js';
import {
  AGENT_ROLE_GRANTS,
  assertAdminPasswordFromSecret,
  assertControlPlaneProbes,
  env,
  envNames,
  restrictedPodSecurityViolations,
  roleGrants,
  unknownEnv,
} from '../support/deploy-rules.js';

const readChartFile = (path: string) => readFile(join(chartDir, path), 'utf8');

async function templates(): Promise<Array<{ file: string; text: string }>> {
  const files = (await readdir(join(chartDir, 'templates'))).sort();
  return Promise.all(files.map(async (file) => ({ file, text: await readChartFile(`templates/${file}`) })));
}

const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** The combinations a user is likely to install; each must render to valid objects. */
const VARIANTS: Record<string, RenderOptions['set']> = {
  defaults: {},
  'k8sAgent.enabled': { 'k8sAgent.enabled': true },
  'external database, ingress with TLS, ServiceMonitor, agent': {
    'postgresql.enabled': false,
    'database.host': 'postgres.example.com',
    'database.password': 'db-password',
    'ingress.enabled': true,
    'ingress.tls.enabled': true,
    'ingress.className': 'nginx',
    'serviceMonitor.enabled': true,
    'k8sAgent.enabled': true,
    'k8sAgent.config.region': 'eu-west-1',
    'k8sAgent.config.sessionStorageClass': 'fast',
    'k8sAgent.config.sessionHomeSize': '5Gi',
    'k8sAgent.config.sessionImagePullPolicy': 'Never',
    'controlPlane.replicaCount': 3,
  },
  'existing Secrets everywhere': {
    'postgresql.enabled': false,
    'database.existingSecret': 'streamspace-db',
    'admin.existingSecret': 'my-admin',
    'secrets.existingSecret': 'my-secrets',
    'k8sAgent.enabled': true,
    'networkPolicy.enabled': false,
  },
  'single sign-on only, two-factor for admins': {
    'controlPlane.auth.localLogin': false,
    'controlPlane.auth.mfaRequired': 'admins',
    'controlPlane.auth.oidc.issuerUrl': 'https://sso.example.com/realms/acme',
    'controlPlane.auth.oidc.clientId': 'streamspace',
    'controlPlane.auth.oidc.existingSecret': 'streamspace-oidc',
    'controlPlane.auth.oidc.groupsClaim': 'realm_access.roles',
    'controlPlane.auth.oidc.adminGroups': 'streamspace-admins',
  },
  'agent with sessions in an existing namespace': {
    'k8sAgent.enabled': true,
    'k8sAgent.createSessionNamespace': false,
    'k8sAgent.config.sessionNamespace': 'desktops',
  },
};

/** Fails the test unless helm failed; returns helm's error (its stderr, and stdout for lint's report). */
async function helmError(work: Promise<unknown>, context: string): Promise<HelmError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof HelmError, `${context}: ${String(error)}`);
    return error;
  }
  assert.fail(`${context}: helm succeeded`);
}

const helmFails = async (work: Promise<unknown>, context: string) => (await helmError(work, context)).stderr;

test('helm lint --strict passes for every variant, warnings included', async () => {
  for (const [variant, set] of Object.entries(VARIANTS)) {
    const report = await lint({ set });
    assert.match(report, /1 chart\(s\) linted, 0 chart\(s\) failed/, variant);
    assert.doesNotMatch(report, /\[(WARNING|ERROR)\]/, `${variant}:\n${report}`);
  }
});

test('Chart.yaml and values.yaml parse; the chart is apiVersion v2 at appVersion 0.1.0', async () => {
  const chart = parse(await readChartFile('Chart.yaml'));
  assert.equal(chart.apiVersion, 'v2');
  assert.equal(chart.name, 'streamspace');
  assert.equal(chart.appVersion, '0.1.0');
  const values = parse(await readChartFile('values.yaml'));
  assert.equal(values.image.repository, 'streamspace/control-plane');
  assert.equal(values.k8sAgent.image.repository, 'streamspace/agent');
  assert.equal(values.image.tag, '', 'the tag defaults to appVersion');
});

/** `.Values.a.b` paths the templates use that values.yaml lacks (helm renders those as empty). */
function missingValuePaths(texts: string[], values: unknown): { used: Set<string>; missing: string[] } {
  const used = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) used.add(match[1]!.slice(1));
  }
  const missing = [...used].filter((path) => {
    let node: any = values;
    for (const key of path.split('.')) {
      if (node === null || typeof node !== 'object' || !(key in node)) return true;
      node = node[key];
    }
    return false;
  });
  return { used, missing };
}

const BROKEN_TEMPLATE =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.k8sAgent.HeartbeatInterval | quote }}\n';

test('every .Values path a template uses exists in values.yaml (the seed chart crashed on absent ones)', async () => {
  const values = parse(await readChartFile('values.yaml'));
  const { used, missing } = missingValuePaths(
    (await templates()).map((t) => t.text),
    values,
  );
  assert.ok(used.has('k8sAgent.config.heartbeatInterval') && used.size > 40, `scan found ${used.size} paths`);
  assert.deepEqual(missing, []);
  // The scan catches a misspelt path, which helm itself (even `helm lint --strict`) renders as empty.
  assert.deepEqual(missingValuePaths([BROKEN_TEMPLATE], values).missing, ['k8sAgent.HeartbeatInterval']);
  const copy = await mkdtemp(join(tmpdir(), 'streamspace-chart-'));
  try {
    await cp(chartDir, copy, { recursive: true });
    await writeFile(join(copy, 'templates', 'broken.yaml'), BROKEN_TEMPLATE);
    assert.equal(find(await render({ chart: copy }), 'ConfigMap', 'x').data.a, null, 'rendered as nothing');
    await lint({ chart: copy });
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
});

test('every key in values.yaml has a comment above it', async () => {
  const text = await readChartFile('values.yaml');
  // Line scan: a key line must follow a comment line at the same indentation.
  const lines = text.split('\n');
  const undocumented: string[] = [];
  let keyLines = 0;
  lines.forEach((line, i) => {
    const key = /^(\s*)([A-Za-z0-9_./-]+|'[^']*'):(\s|$)/.exec(line);
    if (!key) return;
    keyLines++;
    const above = lines[i - 1] ?? '';
    if (!above.startsWith(`${key[1]}#`)) undocumented.push(`line ${i + 1}: ${line.trim()}`);
  });
  // The scan must have seen every key the YAML parser sees, or it could pass by missing some.
  let parsedKeys = 0;
  const count = (node: Node | null | undefined): void => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      if (isPair(pair) && isScalar(pair.key)) parsedKeys++;
      count(pair.value as Node);
    }
  };
  count(parseDocument(text).contents);
  assert.equal(keyLines, parsedKeys);
  assert.deepEqual(undocumented, []);
});

test('no template, value or manifest mentions NATS or the v1 controller', async () => {
  const texts = [
    ...(await templates()),
    { file: 'values.yaml', text: await readChartFile('values.yaml') },
    { file: 'Chart.yaml', text: await readChartFile('Chart.yaml') },
  ];
  for (const { file, text } of texts) {
    assert.doesNotMatch(text, /\bnats\b/i, file);
    assert.doesNotMatch(
      text,
      /\bcontroller\s*:|controller-deployment|kind:\s*Session\b|CustomResourceDefinition/i,
      file,
    );
  }
  const rendered = await renderRaw({ set: VARIANTS['external database, ingress with TLS, ServiceMonitor, agent'] });
  assert.doesNotMatch(rendered, /\bnats\b/i);
  for (const object of await render({ set: VARIANTS['external database, ingress with TLS, ServiceMonitor, agent'] })) {
    assert.doesNotMatch(`${object.kind}/${object.metadata.name}`, /controller|nats/i);
  }
});

for (const [variant, set] of Object.entries(VARIANTS)) {
  test(`renders valid Kubernetes objects: ${variant}`, async () => {
    const objects = await render({ set });
    assert.ok(objects.length >= 5, `${objects.length} objects`);
    for (const object of objects) validateKubernetesObject(object);
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.equal(new Set(names).size, names.length, `no duplicates in ${names.join(', ')}`);
    const all = containers(objects).map((c) => c.container);
    const expected = ['control-plane', ...(set?.['k8sAgent.enabled'] ? ['agent'] : [])];
    if (set?.['postgresql.enabled'] !== false) expected.push('postgresql');
    assert.deepEqual(all.map((c) => c.name).sort(), expected.sort());
    for (const container of all) {
      if (container.name !== 'postgresql') assert.deepEqual(unknownEnv(container), [], container.name);
    }
  });
}

test('defaults: control plane with probes on /health and /ready, bundled PostgreSQL, no agent', async () => {
  const objects = await render();
  const deployment = find(objects, 'Deployment', 'streamspace');
  const [cp] = deployment.spec.template.spec.containers;
  assert.equal(cp.image, 'streamspace/control-plane:0.1.0');
  assert.deepEqual(cp.args, ['server']);
  assertControlPlaneProbes(cp);
  const service = find(objects, 'Service', 'streamspace');
  assert.equal(service.spec.ports[0].targetPort, 'http');
  assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
  assert.equal(env(cp, 'DB_HOST').value, 'streamspace-postgresql');
  assert.deepEqual(env(cp, 'DB_PASSWORD').valueFrom.secretKeyRef, { name: 'streamspace-postgresql', key: 'password' });
  find(objects, 'StatefulSet', 'streamspace-postgresql');
  assert.equal(
    objects.find((o) => o.metadata.name.includes('agent')),
    undefined,
    'no agent objects unless k8sAgent.enabled',
  );
  assert.equal(
    objects.find((o) => o.kind === 'Ingress' || o.kind === 'ServiceMonitor'),
    undefined,
  );
});

test('controlPlane.auth and session lifetimes reach the control plane, the OIDC client secret only from a Secret', async () => {
  const cpEnv = async (set: RenderOptions['set']) =>
    find(await render({ set }), 'Deployment', 'streamspace').spec.template.spec.containers[0];
  const defaults = await cpEnv({});
  assert.equal(env(defaults, 'LOCAL_LOGIN').value, 'true');
  assert.equal(env(defaults, 'MFA_REQUIRED').value, 'none');
  assert.equal(env(defaults, 'OIDC_ISSUER_URL'), undefined, 'single sign-on is off by default');
  assert.equal(env(defaults, 'SESSION_IDLE_TIMEOUT').value, '30m');
  assert.equal(env(defaults, 'SESSION_MAX_LIFETIME').value, '0');
  const lifetimes = await cpEnv({ 'controlPlane.sessionIdleTimeout': '0', 'controlPlane.sessionMaxLifetime': '7d' });
  assert.equal(env(lifetimes, 'SESSION_IDLE_TIMEOUT').value, '0');
  assert.equal(env(lifetimes, 'SESSION_MAX_LIFETIME').value, '7d');

  const sso = await cpEnv(VARIANTS['single sign-on only, two-factor for admins']);
  assert.equal(env(sso, 'LOCAL_LOGIN').value, 'false');
  assert.equal(env(sso, 'MFA_REQUIRED').value, 'admins');
  assert.equal(env(sso, 'OIDC_ISSUER_URL').value, 'https://sso.example.com/realms/acme');
  assert.equal(env(sso, 'OIDC_CLIENT_ID').value, 'streamspace');
  assert.deepEqual(env(sso, 'OIDC_CLIENT_SECRET').valueFrom.secretKeyRef, {
    name: 'streamspace-oidc',
    key: 'client-secret',
  });
  assert.equal(env(sso, 'OIDC_GROUPS_CLAIM').value, 'realm_access.roles');
  assert.equal(env(sso, 'OIDC_ADMIN_GROUPS').value, 'streamspace-admins');
  assert.equal(env(sso, 'OIDC_ALLOWED_GROUPS'), undefined, 'empty values are left to the defaults');

  const refused: Array<[RenderOptions['set'], RegExp]> = [
    [{ 'controlPlane.auth.localLogin': false }, /localLogin=false needs controlPlane\.auth\.oidc\.issuerUrl/],
    [
      { 'controlPlane.auth.oidc.issuerUrl': 'https://sso.example.com', 'controlPlane.auth.oidc.clientId': 'x' },
      /controlPlane\.auth\.oidc\.existingSecret .* is required/,
    ],
    [{ 'controlPlane.auth.mfaRequired': 'everyone' }, /mfaRequired/],
    [{ 'controlPlane.sessionIdleTimeout': 'half an hour' }, /sessionIdleTimeout/],
  ];
  for (const [set, message] of refused) {
    assert.match(await helmFails(renderRaw({ set }), JSON.stringify(set)), message, JSON.stringify(set));
  }
});

test('port, Service and agent URL follow controlPlane.port and service.port', async () => {
  const objects = await render({
    set: { 'controlPlane.port': 9000, 'service.port': 80, 'k8sAgent.enabled': true },
    namespace: 'apps',
  });
  const [cp] = find(objects, 'Deployment', 'streamspace').spec.template.spec.containers;
  assert.equal(env(cp, 'PORT').value, '9000');
  assertControlPlaneProbes(cp);
  const [agent] = find(objects, 'Deployment', 'streamspace-k8s-agent').spec.template.spec.containers;
  assert.equal(env(agent, 'CONTROL_PLANE_URL').value, 'ws://streamspace.apps.svc:80/agent/ws');
});

test('k8sAgent.enabled renders the agent Deployment, its ServiceAccount and a Role with exactly the verbs it uses', async () => {
  const objects = await render({ set: { 'k8sAgent.enabled': true } });
  const deployment = find(objects, 'Deployment', 'streamspace-k8s-agent');
  // Sessions run in a namespace of their own (`<release>-sessions`), which the chart creates; the
  // agent's Role is there and nowhere else.
  const sa = find(objects, 'ServiceAccount', 'streamspace-agent');
  const role = find(objects, 'Role', 'streamspace-agent');
  const binding = find(objects, 'RoleBinding', 'streamspace-agent');
  assert.equal(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding').length, 0);

  const pod = deployment.spec.template;
  assert.equal(deployment.spec.replicas, 1);
  assert.equal(deployment.spec.strategy.type, 'Recreate');
  assert.equal(pod.metadata.labels['streamspace.io/component'], 'agent');
  assert.equal(deployment.spec.selector.matchLabels['streamspace.io/component'], 'agent');
  assert.equal(pod.spec.serviceAccountName, sa.metadata.name);
  const [agent] = pod.spec.containers;
  assert.equal(agent.image, 'streamspace/agent:0.1.0');
  assert.deepEqual(agent.args, ['agent', 'kubernetes']);
  assert.equal(env(agent, 'AGENT_ID').value, 'streamspace-k8s-agent');
  assert.equal(env(agent, 'PLATFORM').value, 'kubernetes');
  assert.equal(env(agent, 'HEARTBEAT_INTERVAL').value, '10s');
  for (const unset of ['REGION', 'SESSION_STORAGE_CLASS', 'SESSION_HOME_SIZE', 'SESSION_IMAGE_PULL_POLICY']) {
    assert.equal(env(agent, unset), undefined, `${unset} is left to the agent's default`);
  }
  assert.equal(env(agent, 'NAMESPACE').value, 'streamspace-sessions');
  assert.deepEqual(env(agent, 'AGENT_NAMESPACE').valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
  assert.equal(env(agent, 'CONTROL_PLANE_URL').value, 'ws://streamspace.streamspace.svc:8080/agent/ws');
  assert.deepEqual(env(agent, 'AGENT_TOKEN').valueFrom.secretKeyRef, {
    name: 'streamspace-secrets',
    key: 'agent-token',
  });
  assert.deepEqual(
    env(find(objects, 'Deployment', 'streamspace').spec.template.spec.containers[0], 'AGENT_TOKEN').valueFrom,
    env(agent, 'AGENT_TOKEN').valueFrom,
    'the agent presents the token the control plane expects',
  );

  assert.deepEqual(roleGrants(role), AGENT_ROLE_GRANTS);
  assert.equal(role.metadata.namespace, 'streamspace-sessions');
  assert.equal(binding.metadata.namespace, 'streamspace-sessions');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'streamspace' }]);
});

test('k8sAgent.config: session namespace, id, URL and limits reach the agent; the Role lives where sessions run', async () => {
  const objects = await render({
    namespace: 'streamspace-system',
    set: {
      'k8sAgent.enabled': true,
      'k8sAgent.createSessionNamespace': false,
      'k8sAgent.config.sessionNamespace': 'sessions',
      'k8sAgent.config.agentId': 'k8s-prod-1',
      'k8sAgent.config.controlPlaneURL': 'wss://streamspace.example.com',
      'k8sAgent.config.heartbeatInterval': '20s',
      'k8sAgent.config.maxSessions': 25,
      'k8sAgent.config.maxCpu': '12.5',
      'k8sAgent.config.region': 'eu-west-1',
      'k8sAgent.config.sessionStorageClass': 'fast',
      'k8sAgent.config.sessionHomeSize': '10Gi',
      'k8sAgent.config.sessionImagePullPolicy': 'Never',
    },
  });
  const [agent] = find(objects, 'Deployment', 'streamspace-k8s-agent').spec.template.spec.containers;
  assert.equal(env(agent, 'NAMESPACE').value, 'sessions');
  assert.equal(env(agent, 'AGENT_ID').value, 'k8s-prod-1');
  assert.equal(env(agent, 'CONTROL_PLANE_URL').value, 'wss://streamspace.example.com');
  assert.equal(env(agent, 'HEARTBEAT_INTERVAL').value, '20s', 'a remote control plane decides; no local check');
  assert.equal(env(agent, 'MAX_SESSIONS').value, '25');
  assert.equal(env(agent, 'MAX_CPU').value, '12.5');
  assert.equal(env(agent, 'REGION').value, 'eu-west-1');
  assert.equal(env(agent, 'SESSION_STORAGE_CLASS').value, 'fast');
  assert.equal(env(agent, 'SESSION_HOME_SIZE').value, '10Gi');
  assert.equal(env(agent, 'SESSION_IMAGE_PULL_POLICY').value, 'Never');
  const role = find(objects, 'Role', 'streamspace-agent');
  const binding = find(objects, 'RoleBinding', 'streamspace-agent');
  assert.equal(role.metadata.namespace, 'sessions');
  assert.equal(binding.metadata.namespace, 'sessions');
  assert.equal(binding.subjects[0].namespace, 'streamspace-system');
  assert.equal(
    objects.find((o) => o.kind === 'Namespace'),
    undefined,
    'an existing session namespace is not created',
  );
});

test('by default the chart creates <release>-sessions for sessions, enforcing restricted Pod Security, kept on uninstall', async () => {
  const objects = await render({ set: { 'k8sAgent.enabled': true } });
  const namespace = find(objects, 'Namespace', 'streamspace-sessions');
  assert.equal(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  assert.equal(namespace.metadata.annotations?.['helm.sh/resource-policy'], 'keep', 'sessions outlive the release');
  assert.equal(find(objects, 'Role', 'streamspace-agent').metadata.namespace, 'streamspace-sessions');
  const [agent] = find(objects, 'Deployment', 'streamspace-k8s-agent').spec.template.spec.containers;
  assert.equal(env(agent, 'NAMESPACE').value, 'streamspace-sessions');
  assert.doesNotMatch(await renderNotes({ set: { 'k8sAgent.enabled': true } }), /kubectl label namespace/);
  // Sessions in the release namespace (helm's to create, with --create-namespace): the chart does
  // not make a Namespace object, and its notes say to label it.
  const inRelease = { 'k8sAgent.enabled': true, 'k8sAgent.config.sessionNamespace': 'streamspace' };
  const objectsInRelease = await render({ set: inRelease });
  assert.equal(
    objectsInRelease.find((o) => o.kind === 'Namespace'),
    undefined,
  );
  assert.equal(find(objectsInRelease, 'Role', 'streamspace-agent').metadata.namespace, 'streamspace');
  assert.match(
    await renderNotes({ set: inRelease }),
    /kubectl label namespace streamspace pod-security\.kubernetes\.io\/enforce=restricted/,
  );
  // An existing namespace of the user's: not created either, and the notes name it.
  const existing = VARIANTS['agent with sessions in an existing namespace'];
  assert.equal(
    (await render({ set: existing })).find((o) => o.kind === 'Namespace'),
    undefined,
  );
  assert.match(await renderNotes({ set: existing }), /kubectl label namespace desktops pod-security/);
});

test('every pod the chart makes is admitted where the restricted Pod Security level is enforced', async () => {
  for (const [variant, set] of Object.entries(VARIANTS)) {
    const pods = containers(await render({ set })).map((c) => c.owner);
    assert.ok(pods.length >= 2, variant);
    for (const owner of new Set(pods)) {
      assert.deepEqual(
        restrictedPodSecurityViolations(owner.spec.template.spec),
        [],
        `${variant}: ${owner.kind}/${owner.metadata.name}`,
      );
    }
  }
  // The check is not a formality: a root container with capabilities is caught.
  const bad = { containers: [{ name: 'x', securityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } } }] };
  assert.equal(restrictedPodSecurityViolations(bad).length, 6);
});

test('k8sAgent.enabled with the bundled PostgreSQL: the agent reaches this control plane with its token', async () => {
  const objects = await render({ set: { 'k8sAgent.enabled': true } });
  const rendered = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  assert.ok(rendered.has('StatefulSet/streamspace-postgresql'), 'the bundled PostgreSQL is on by default');
  // Every Secret a pod reads is one this release renders (nothing to create by hand first).
  for (const { owner, container } of containers(objects)) {
    for (const entry of container.env ?? []) {
      const ref = entry.valueFrom?.secretKeyRef;
      if (!ref) continue;
      const secret = find(objects, 'Secret', ref.name);
      assert.ok(
        ref.key in secret.data,
        `${owner.metadata.name}/${container.name} ${entry.name}: ${ref.name} has ${ref.key}`,
      );
    }
  }
  const agentPod = find(objects, 'Deployment', 'streamspace-k8s-agent').spec.template;
  const [agent] = agentPod.spec.containers;
  const service = find(objects, 'Service', 'streamspace');
  const url = new URL(env(agent, 'CONTROL_PLANE_URL').value);
  assert.equal(url.hostname, `${service.metadata.name}.streamspace.svc`);
  assert.equal(Number(url.port), service.spec.ports[0].port);
  assert.equal(url.pathname, '/agent/ws');
  assert.ok(rendered.has(`ServiceAccount/${agentPod.spec.serviceAccountName}`));
  assert.notEqual(agentPod.spec.automountServiceAccountToken, false, 'the agent calls the API with its token');
  // The control plane's NetworkPolicy admits the agent's WebSocket: its port, from any pod.
  const cpPolicy = find(objects, 'NetworkPolicy', 'streamspace-control-plane');
  assert.equal(cpPolicy.spec.ingress[0].from, undefined);
});

test('the admin password comes only from the admin-credentials Secret, in every variant', async () => {
  for (const [variant, set] of Object.entries(VARIANTS)) {
    const objects = await render({ set });
    const secretName = set?.['admin.existingSecret'] ?? 'streamspace-admin-credentials';
    const cp = containers(objects).find((c) => c.container.name === 'control-plane')!.container;
    assertAdminPasswordFromSecret(cp, String(secretName));
    const adminSecrets = objects.filter((o) => o.kind === 'Secret' && o.metadata.name.endsWith('admin-credentials'));
    assert.equal(adminSecrets.length, set?.['admin.existingSecret'] ? 0 : 1, variant);
  }
  const values = parse(await readChartFile('values.yaml'));
  assert.deepEqual(Object.keys(values.admin).sort(), ['existingSecret', 'username'], 'no admin password value');
  for (const { file, text } of await templates()) {
    assert.doesNotMatch(text, /name: ADMIN_PASSWORD\s*\n\s*value:/, file);
  }
  // A password passed as a value anyway is refused by the schema, without echoing it.
  const stderr = await helmFails(renderRaw({ set: { 'admin.password': 'plain-text-password' } }), 'admin.password');
  assert.match(stderr, /at '\/admin': additional properties 'password' not allowed/);
  assert.ok(!stderr.includes('plain-text-password'));
});

test('generated secrets are random on install and marked keep (kubernetes-agent.test.ts upgrades a real release: lookup keeps them)', async () => {
  const secretsOf = (objects: KubeObject[]) =>
    Object.fromEntries(objects.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, o.data]));
  const first = secretsOf(await render());
  const second = secretsOf(await render());
  const admin = first['streamspace-admin-credentials'];
  assert.equal(unb64(admin.username), 'admin');
  assert.ok(unb64(admin.password).length >= 24);
  assert.notEqual(admin.password, second['streamspace-admin-credentials'].password, 'a fresh install generates');
  assert.ok(unb64(first['streamspace-secrets']['jwt-secret']).length >= 32, 'JWT_SECRET needs 32+ characters');
  assert.ok(unb64(first['streamspace-secrets']['agent-token']).length >= 16, 'AGENT_TOKEN needs 16+ characters');
  for (const secret of (await render()).filter((o) => o.kind === 'Secret')) {
    assert.equal(secret.metadata.annotations?.['helm.sh/resource-policy'], 'keep', secret.metadata.name);
  }
});

test('database settings come from values, an existing Secret, or the bundled PostgreSQL', async () => {
  const cpOf = async (set: RenderOptions['set']) =>
    containers(await render({ set })).find((c) => c.container.name === 'control-plane')!.container;

  const external = await cpOf({
    'postgresql.enabled': false,
    'database.host': 'db.example.com',
    'database.port': 6432,
    'database.user': 'ss',
    'database.password': 'pw',
  });
  assert.equal(env(external, 'DB_HOST').value, 'db.example.com');
  assert.equal(env(external, 'DB_PORT').value, '6432');
  assert.equal(env(external, 'DB_USER').value, 'ss');
  assert.deepEqual(env(external, 'DB_PASSWORD').valueFrom.secretKeyRef, {
    name: 'streamspace-database',
    key: 'password',
  });

  const fromSecret = await cpOf({ 'postgresql.enabled': false, 'database.existingSecret': 'streamspace-db' });
  for (const [name, key] of [
    ['DB_HOST', 'host'],
    ['DB_PORT', 'port'],
    ['DB_NAME', 'database'],
    ['DB_USER', 'username'],
    ['DB_PASSWORD', 'password'],
  ]) {
    assert.deepEqual(env(fromSecret, name!).valueFrom.secretKeyRef, { name: 'streamspace-db', key }, name);
  }
  assert.ok(!envNames(fromSecret).includes('DATABASE_URL'), 'one way to name the database');
});

test('combinations the programs would refuse fail at render time, naming the values', async () => {
  const cases: Array<[RenderOptions['set'], RegExp]> = [
    [{ 'postgresql.enabled': false }, /database\.host is required/],
    [{ 'database.host': 'db.example.com' }, /set postgresql\.enabled=false/],
    [{ 'postgresql.enabled': false, 'database.host': 'db', 'database.existingSecret': 's' }, /set one of them/],
    [
      { 'k8sAgent.enabled': true, 'k8sAgent.config.heartbeatInterval': '15s' },
      /k8sAgent\.config\.heartbeatInterval: 15s is not below half of controlPlane\.agentHeartbeatTimeout \(30s\)/,
    ],
  ];
  for (const [set, message] of cases) {
    assert.match(await helmFails(renderRaw({ set }), JSON.stringify(set)), message, JSON.stringify(set));
  }
  // The boundary: 14s is below half of 30s, and a longer timeout admits a longer interval.
  await renderRaw({ set: { 'k8sAgent.enabled': true, 'k8sAgent.config.heartbeatInterval': '14s' } });
  await renderRaw({
    set: {
      'k8sAgent.enabled': true,
      'k8sAgent.config.heartbeatInterval': '1m',
      'controlPlane.agentHeartbeatTimeout': '2m30s',
    },
  });
});

test('values.schema.json: a wrong type, an unknown key or a bad enum fails helm template, naming the value', async () => {
  // [--set, the value path helm names (JSON pointer), what it says]
  const cases: Array<[Record<string, string | number | boolean>, string, RegExp]> = [
    // wrong types
    [{ 'k8sAgent.config.maxSessions': 'many' }, '/k8sAgent/config/maxSessions', /got string, want integer/],
    [{ 'networkPolicy.enabled': 'yes' }, '/networkPolicy/enabled', /got string, want boolean/],
    [{ 'controlPlane.agentHeartbeatTimeout': 30 }, '/controlPlane/agentHeartbeatTimeout', /want string/],
    [{ 'controlPlane.podAnnotations.team': 7 }, '/controlPlane/podAnnotations/team', /want string/],
    [{ 'controlPlane.replicaCount': 0 }, '/controlPlane/replicaCount', /minimum/],
    [{ 'service.port': 70000 }, '/service/port', /maximum/],
    // unknown keys (typos): nothing is silently ignored
    [{ 'k8sAgent.config.heartbeatIntervall': '5s' }, '/k8sAgent/config', /additional properties 'heartbeatIntervall'/],
    [{ 'k8sagent.enabled': true }, '', /additional properties 'k8sagent'/],
    [{ 'postgresql.persistence.sizee': '8Gi' }, '/postgresql/persistence', /additional properties 'sizee'/],
    // enums
    [{ 'image.pullPolicy': 'always' }, '/image/pullPolicy', /must be one of 'Always', 'IfNotPresent', 'Never'/],
    [{ 'k8sAgent.image.pullPolicy': 'Sometimes' }, '/k8sAgent/image/pullPolicy', /must be one of/],
    [{ 'service.type': 'Ingress' }, '/service/type', /must be one of 'ClusterIP', 'NodePort', 'LoadBalancer'/],
    [
      { 'k8sAgent.config.sessionImagePullPolicy': 'Sometimes' },
      '/k8sAgent/config/sessionImagePullPolicy',
      /must be one of/,
    ],
    [{ 'controlPlane.logLevel': 'verbose' }, '/controlPlane/logLevel', /must be one of/],
    // what the programs would refuse at start: durations, quantities, URLs, names
    [
      { 'controlPlane.sessionStartTimeout': '5 minutes' },
      '/controlPlane/sessionStartTimeout',
      /does not match pattern/,
    ],
    [{ 'k8sAgent.config.heartbeatInterval': '1d' }, '/k8sAgent/config/heartbeatInterval', /does not match pattern/],
    [{ 'k8sAgent.config.sessionHomeSize': '5GB' }, '/k8sAgent/config/sessionHomeSize', /does not match pattern/],
    [{ 'postgresql.persistence.size': '8 GB' }, '/postgresql/persistence/size', /does not match pattern/],
    [
      { 'controlPlane.resources.limits.memory': '1GB' },
      '/controlPlane/resources/limits/memory',
      /does not match pattern/,
    ],
    [{ 'k8sAgent.config.controlPlaneURL': 'streamspace:8080' }, '/k8sAgent/config/controlPlaneURL', /pattern/],
    [{ 'k8sAgent.config.sessionNamespace': 'Sessions' }, '/k8sAgent/config/sessionNamespace', /pattern/],
    [{ 'ingress.enabled': true, 'ingress.host': '' }, '/ingress/host', /minLength/],
    [{ 'serviceMonitor.interval': '30 seconds' }, '/serviceMonitor/interval', /does not match pattern/],
  ];
  for (const [set, path, message] of cases) {
    const stderr = await helmFails(renderRaw({ set }), JSON.stringify(set));
    const lines = stderr
      .split('\n')
      .filter((l) => l.includes(`at '${path}'`))
      .join('\n');
    assert.ok(lines, `${JSON.stringify(set)}: helm names ${path || 'the root'}:\n${stderr}`);
    assert.match(lines, message, JSON.stringify(set));
  }
  // helm lint reports the same (helm install and upgrade validate the schema before rendering, as template does).
  const report = (await helmError(lint({ set: { 'service.type': 'Ingress' } }), 'lint')).stdout;
  assert.match(report, /\[ERROR\] values\.yaml: .*at '\/service\/type': value must be one of/s);
});

test('values.schema.json admits what users type with --set (helm makes 17 an integer, 12.5 a string)', async () => {
  const objects = await render({
    set: {
      'postgresql.enabled': false,
      'database.host': 'db.example.com',
      'database.password': 12345,
      'image.tag': 7,
      'k8sAgent.enabled': true,
      'k8sAgent.config.maxCpu': '12.5',
      'k8sAgent.config.maxMemory': 64,
      'controlPlane.resources.limits.cpu': 2,
      'controlPlane.resources.requests.cpu': '0.5',
    },
  });
  assert.equal(unb64(find(objects, 'Secret', 'streamspace-database').data.password), '12345');
  const [cp] = find(objects, 'Deployment', 'streamspace').spec.template.spec.containers;
  assert.equal(cp.image, 'streamspace/control-plane:7');
  assert.deepEqual(cp.resources.limits, { cpu: 2, memory: '1Gi' });
  const [agent] = find(objects, 'Deployment', 'streamspace-k8s-agent').spec.template.spec.containers;
  assert.equal(env(agent, 'MAX_CPU').value, '12.5');
  assert.equal(env(agent, 'MAX_MEMORY').value, '64');
  const db = await render({ set: { 'postgresql.image.tag': 17 } });
  assert.equal(find(db, 'StatefulSet', 'streamspace-postgresql').spec.template.spec.containers[0].image, 'postgres:17');
});

test('values.schema.json covers every key of values.yaml, and nothing else', async () => {
  const schema = JSON.parse(await readChartFile('values.schema.json'));
  const values = parse(await readChartFile('values.yaml'));
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  // A JSON pointer into the schema; in draft-07 keywords beside a $ref are ignored, so the target is all.
  const resolve = (node: any): any => {
    if (!node?.$ref) return node;
    assert.match(node.$ref, /^#\//, `a local $ref: ${node.$ref}`);
    const target = (node.$ref as string)
      .slice(2)
      .split('/')
      .reduce((at: any, key) => at?.[key], schema);
    assert.ok(target, `unresolvable ${node.$ref}`);
    return resolve(target);
  };
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const problems: string[] = [];
  let keys = 0;
  // values.yaml → schema: every key has a schema that says its type.
  const walkValues = (value: Record<string, unknown>, node: any, path: string) => {
    const s = resolve(node);
    for (const [key, child] of Object.entries(value)) {
      keys++;
      const at = `${path}${key}`;
      const childSchema =
        s.properties?.[key] ?? (isObject(s.additionalProperties) ? s.additionalProperties : undefined);
      if (!childSchema) {
        problems.push(`${at}: not in the schema`);
        continue;
      }
      const resolved = resolve(childSchema);
      if (!resolved.type && !resolved.anyOf && !resolved.enum) problems.push(`${at}: no type`);
      if (isObject(child)) walkValues(child, childSchema, `${at}.`);
    }
  };
  // schema → values.yaml: every object we own refuses unknown keys, and names only real values.
  const walkSchema = (node: any, value: Record<string, unknown>, path: string) => {
    const s = resolve(node);
    if (s.properties && s.additionalProperties !== false) problems.push(`${path || '(root)'}: unknown keys allowed`);
    for (const [key, child] of Object.entries<any>(s.properties ?? {})) {
      if (path === '' && key === 'global') continue; // helm adds it when this chart is a dependency
      if (!(key in value)) problems.push(`${path}${key}: in the schema, not in values.yaml`);
      // A Kubernetes shape left empty in values.yaml (resources: {}, affinity: {}) may have more keys.
      else if (isObject(value[key]) && Object.keys(value[key]).length > 0 && resolve(child).properties) {
        walkSchema(child, value[key] as Record<string, unknown>, `${path}${key}.`);
      }
    }
  };
  walkValues(values, schema, '');
  walkSchema(schema, values, '');
  assert.ok(keys > 70, `walked ${keys} keys`);
  assert.deepEqual(problems, []);
});

test('ingress: WebSocket-friendly timeouts, TLS, and PUBLIC_URL from its host', async () => {
  const objects = await render({
    set: { 'ingress.enabled': true, 'ingress.tls.enabled': true, 'ingress.host': 'ss.example.org' },
  });
  const ingress = find(objects, 'Ingress', 'streamspace');
  assert.equal(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout'], '3600');
  assert.equal(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-send-timeout'], '3600');
  assert.deepEqual(ingress.spec.tls, [{ hosts: ['ss.example.org'], secretName: 'streamspace-tls' }]);
  const path = ingress.spec.rules[0].http.paths[0];
  assert.equal(path.path, '/');
  assert.deepEqual(path.backend.service, { name: 'streamspace', port: { name: 'http' } });
  const cp = containers(objects).find((c) => c.container.name === 'control-plane')!.container;
  assert.equal(env(cp, 'PUBLIC_URL').value, 'https://ss.example.org');
});

test('NetworkPolicies: control plane only on its HTTP and metrics ports, PostgreSQL only from the control plane, agent closed', async () => {
  const objects = await render({ set: { 'k8sAgent.enabled': true } });
  const cpLabels = find(objects, 'Deployment', 'streamspace').spec.template.metadata.labels;
  const cpPolicy = find(objects, 'NetworkPolicy', 'streamspace-control-plane');
  assert.deepEqual(cpPolicy.spec.ingress, [
    {
      ports: [
        { protocol: 'TCP', port: 'http' },
        { protocol: 'TCP', port: 'metrics' },
      ],
    },
  ]);
  for (const [key, value] of Object.entries(cpPolicy.spec.podSelector.matchLabels)) assert.equal(cpLabels[key], value);
  const dbPolicy = find(objects, 'NetworkPolicy', 'streamspace-postgresql');
  const from = dbPolicy.spec.ingress[0].from[0].podSelector.matchLabels;
  for (const [key, value] of Object.entries(from)) assert.equal(cpLabels[key], value);
  const agentPolicy = find(objects, 'NetworkPolicy', 'streamspace-k8s-agent');
  assert.deepEqual(agentPolicy.spec.policyTypes, ['Ingress']);
  assert.equal(agentPolicy.spec.ingress, undefined, 'no ingress rule: nothing may connect to the agent');
  const none = await render({ set: { 'networkPolicy.enabled': false } });
  assert.equal(none.filter((o) => o.kind === 'NetworkPolicy').length, 0);
});

test("serviceMonitor.enabled scrapes /metrics on the Service's metrics port, not the public one", async () => {
  const objects = await render({ set: { 'serviceMonitor.enabled': true, 'serviceMonitor.labels.release': 'prom' } });
  const monitor = find(objects, 'ServiceMonitor', 'streamspace');
  assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(monitor.metadata.labels?.release, 'prom');
  const service = find(objects, 'Service', 'streamspace');
  for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) {
    assert.equal(service.metadata.labels?.[key], value, key);
  }
  assert.deepEqual(monitor.spec.endpoints, [
    { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
  ]);
  assert.deepEqual(
    service.spec.ports.map((p: { name: string; port: number; targetPort: string }) => [p.name, p.port, p.targetPort]),
    [
      ['http', 8080, 'http'],
      ['metrics', 9090, 'metrics'],
    ],
  );
  const cp = find(objects, 'Deployment', 'streamspace').spec.template.spec.containers[0];
  assert.equal(cp.env.find((e: { name: string }) => e.name === 'METRICS_PORT').value, '9090');
});

test('NOTES.txt renders and tells where the admin password is', async () => {
  const out = await renderNotes({ set: { 'k8sAgent.enabled': true } });
  assert.match(
    out,
    /kubectl get secret streamspace-admin-credentials -n streamspace -o jsonpath='\{\.data\.password\}'/,
  );
  assert.match(out, /as ServiceAccount streamspace-agent/);
});

test("the README's helm install commands use existing values and render", async () => {
  const readme = await readFile(join(chartDir, '../../../README.md'), 'utf8');
  const values = parse(await readChartFile('values.yaml'));
  const commands = [...readme.matchAll(/helm install streamspace deploy\/helm\/streamspace[^`]*?(?=\n```)/g)];
  assert.ok(commands.length >= 2, `${commands.length} helm install commands`);
  for (const [command] of commands) {
    const set: Record<string, string> = {};
    for (const [, key, value] of command.matchAll(/--set ([\w.]+)=(\S+)/g)) {
      assert.ok(
        key!.split('.').reduce<any>((node, k) => (node && k in node ? node[k] : undefined), values) !== undefined,
        key,
      );
      set[key!] = value!;
    }
    for (const object of await render({ set })) validateKubernetesObject(object);
  }
});
