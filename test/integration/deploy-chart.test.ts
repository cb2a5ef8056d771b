// The Helm chart, rendered by test/tools/helm-render (Go text/template + sprig, Helm's engine;
// no helm binary can be installed here) and checked against Kubernetes' schemas and our programs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isPair, isScalar, parse, parseDocument, type Node } from 'yaml';
import {
  chartDir,
  containers,
  find,
  render,
  renderRaw,
  type KubeObject,
  type RenderOptions,
} from '../support/helm-render.js';
import { validateKubernetesObject } from '../support/kubernetes-schema.js';
import {
  AGENT_ROLE_GRANTS,
  assertAdminPasswordFromSecret,
  assertControlPlaneProbes,
  env,
  envNames,
  roleGrants,
  unknownEnv,
} from '../support/deploy-rules.js';

const readChartFile = (path: string) => readFile(join(chartDir, path), 'utf8');

async function templates(): Promise<Array<{ file: string; text: string }>> {
  const files = (await readdir(join(chartDir, 'templates'))).sort();
  return Promise.all(files.map(async (file) => ({ file, text: await readChartFile(`templates/${file}`) })));
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
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
};

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

test('every .Values path a template uses exists in values.yaml (the seed chart crashed on absent ones)', async () => {
  const values = parse(await readChartFile('values.yaml'));
  const used = new Set<string>();
  for (const { text } of await templates()) {
    for (const match of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) used.add(match[1]!.slice(1));
  }
  assert.ok(used.has('k8sAgent.config.heartbeatInterval') && used.size > 40, `scan found ${used.size} paths`);
  const missing = [...used].filter((path) => {
    let node: any = values;
    for (const key of path.split('.')) {
      if (node === null || typeof node !== 'object' || !(key in node)) return true;
      node = node[key];
    }
    return false;
  });
  assert.deepEqual(missing, []);
});

test('the renderer fails on a value path missing from values.yaml, as the seed chart should have', async () => {
  const copy = await mkdtemp(join(tmpdir(), 'streamspace-chart-'));
  await cp(chartDir, copy, { recursive: true });
  await writeFile(
    join(copy, 'templates', 'broken.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.k8sAgent.HeartbeatInterval | quote }}\n',
  );
  await assert.rejects(renderRaw({ chart: copy }), /map has no entry for key "HeartbeatInterval"/);
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
  const sa = find(objects, 'ServiceAccount', 'streamspace-k8s-agent');
  const role = find(objects, 'Role', 'streamspace-k8s-agent');
  const binding = find(objects, 'RoleBinding', 'streamspace-k8s-agent');
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
  assert.equal(env(agent, 'NAMESPACE').value, 'streamspace');
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
  assert.equal(role.metadata.namespace, 'streamspace');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'streamspace' }]);
});

test('k8sAgent.config: session namespace, id, URL and limits reach the agent; the Role lives where sessions run', async () => {
  const objects = await render({
    namespace: 'streamspace-system',
    set: {
      'k8sAgent.enabled': true,
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
  const role = find(objects, 'Role', 'streamspace-k8s-agent');
  const binding = find(objects, 'RoleBinding', 'streamspace-k8s-agent');
  assert.equal(role.metadata.namespace, 'sessions');
  assert.equal(binding.metadata.namespace, 'sessions');
  assert.equal(binding.subjects[0].namespace, 'streamspace-system');
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
  // A password passed as a value anyway is ignored, never rendered.
  const rendered = await renderRaw({ set: { 'admin.password': 'plain-text-password' } });
  assert.ok(!rendered.includes('plain-text-password') && !rendered.includes(b64('plain-text-password')));
});

test('generated secrets are random on install and kept on upgrade (lookup finds the existing Secrets)', async () => {
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

  const existing = (name: string, data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'streamspace' },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  });
  const cluster = [
    existing('streamspace-admin-credentials', { username: 'admin', password: 'the-password-users-know' }),
    existing('streamspace-secrets', { 'jwt-secret': 'j'.repeat(40), 'agent-token': 'the-agents-token-1234' }),
    existing('streamspace-postgresql', { password: 'the-database-password' }),
  ];
  const upgraded = secretsOf(await render({ upgrade: true, existing: cluster }));
  assert.equal(unb64(upgraded['streamspace-admin-credentials'].password), 'the-password-users-know');
  assert.equal(unb64(upgraded['streamspace-secrets']['jwt-secret']), 'j'.repeat(40));
  assert.equal(unb64(upgraded['streamspace-secrets']['agent-token']), 'the-agents-token-1234');
  assert.equal(unb64(upgraded['streamspace-postgresql'].password), 'the-database-password');

  // A Secret of the same name in another namespace is not this release's.
  const elsewhere = cluster.map((s) => ({ ...s, metadata: { ...s.metadata, namespace: 'other' } }));
  const fresh = secretsOf(await render({ upgrade: true, existing: elsewhere }));
  assert.notEqual(unb64(fresh['streamspace-admin-credentials'].password), 'the-password-users-know');
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

test('settings the programs would refuse fail at render time, naming the value', async () => {
  const cases: Array<[RenderOptions['set'], RegExp]> = [
    [{ 'postgresql.enabled': false }, /database\.host is required/],
    [{ 'database.host': 'db.example.com' }, /set postgresql\.enabled=false/],
    [{ 'postgresql.enabled': false, 'database.host': 'db', 'database.existingSecret': 's' }, /set one of them/],
    [
      { 'k8sAgent.enabled': true, 'k8sAgent.config.heartbeatInterval': '15s' },
      /k8sAgent\.config\.heartbeatInterval: 15s is not below half of controlPlane\.agentHeartbeatTimeout \(30s\)/,
    ],
    [{ 'controlPlane.agentHeartbeatTimeout': '30' }, /controlPlane\.agentHeartbeatTimeout: expected a duration/],
    [{ 'ingress.enabled': true, 'ingress.host': '' }, /ingress\.host is required/],
    [{ 'controlPlane.replicaCount': 0 }, /replicaCount: at least 1/],
  ];
  for (const [set, message] of cases) await assert.rejects(renderRaw({ set }), message, JSON.stringify(set));
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

test('NetworkPolicies: control plane only on its port, PostgreSQL only from the control plane, agent closed', async () => {
  const objects = await render({ set: { 'k8sAgent.enabled': true } });
  const cpLabels = find(objects, 'Deployment', 'streamspace').spec.template.metadata.labels;
  const cpPolicy = find(objects, 'NetworkPolicy', 'streamspace-control-plane');
  assert.deepEqual(cpPolicy.spec.ingress, [{ ports: [{ protocol: 'TCP', port: 'http' }] }]);
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

test('serviceMonitor.enabled scrapes /metrics on the Service port of the control plane', async () => {
  const objects = await render({ set: { 'serviceMonitor.enabled': true, 'serviceMonitor.labels.release': 'prom' } });
  const monitor = find(objects, 'ServiceMonitor', 'streamspace');
  assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(monitor.metadata.labels?.release, 'prom');
  const service = find(objects, 'Service', 'streamspace');
  for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) {
    assert.equal(service.metadata.labels?.[key], value, key);
  }
  assert.deepEqual(monitor.spec.endpoints, [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
  assert.ok(service.spec.ports.some((p: { name: string }) => p.name === 'http'));
});

test('NOTES.txt renders and tells where the admin password is', async () => {
  const out = await renderRaw({ notes: true, set: { 'k8sAgent.enabled': true } });
  assert.match(
    out,
    /kubectl get secret streamspace-admin-credentials -n streamspace -o jsonpath='\{\.data\.password\}'/,
  );
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
