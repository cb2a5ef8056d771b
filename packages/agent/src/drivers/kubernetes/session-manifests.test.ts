import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSessionManifests, ownedBy, toWire, type ManifestOptions } from './session-manifests.js';
import { agentLabelValue, agentSelector } from './labels.js';
import { obfuscateVncPassword } from '../../tunnel/vnc-password.js';

const spec = {
  sessionId: '6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d',
  user: 'alice@example.com',
  template: {
    name: 'xterm',
    image: 'streamspace/xterm:latest',
    vnc_port: 5901,
    cpu_limit: 0.5,
    memory_limit_mb: 512,
    env: { SCREEN_WIDTH: '1280' },
    persistent_home: true,
  },
};
const options: ManifestOptions = {
  agentId: 'k8s-1',
  namespace: 'sessions',
  agentNamespace: 'streamspace-system',
  homeSize: '5Gi',
  imagePullPolicy: 'IfNotPresent',
};
const name = `streamspace-session-${spec.sessionId}`;
const labels = {
  app: 'session',
  'session-id': spec.sessionId,
  'app.kubernetes.io/managed-by': 'streamspace',
  'streamspace.io/agent-id': 'k8s-1',
};

test('a session becomes a labelled Deployment whose pod is unprivileged, limited and runs the template', () => {
  const { deployment } = buildSessionManifests(spec, options);
  assert.equal(deployment.metadata?.name, name);
  assert.equal(deployment.metadata?.namespace, 'sessions');
  assert.deepEqual(deployment.metadata?.labels, labels);
  assert.equal(deployment.metadata?.annotations?.['streamspace.io/user'], 'alice@example.com');
  assert.equal(deployment.spec?.replicas, 1);
  assert.deepEqual(deployment.spec?.selector.matchLabels, { app: 'session', 'session-id': spec.sessionId });
  assert.deepEqual(deployment.spec?.strategy, { type: 'Recreate' });
  const pod = deployment.spec!.template;
  assert.deepEqual(pod.metadata?.labels, labels);
  assert.equal(pod.spec?.automountServiceAccountToken, false);
  assert.deepEqual(pod.spec?.securityContext, {
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    fsGroup: 1000,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  const [container] = pod.spec!.containers;
  assert.equal(container?.image, 'streamspace/xterm:latest');
  assert.equal(container?.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(container?.ports, [{ name: 'vnc', containerPort: 5901, protocol: 'TCP' }]);
  assert.deepEqual(container?.env, [
    { name: 'SCREEN_WIDTH', value: '1280' },
    { name: 'STREAMSPACE_SESSION_ID', value: spec.sessionId },
    { name: 'STREAMSPACE_USER', value: 'alice@example.com' },
    { name: 'VNC_PORT', value: '5901' },
  ]);
  assert.deepEqual(container?.resources, {
    limits: { cpu: '500m', memory: '512Mi' },
    requests: { cpu: '500m', memory: '512Mi' },
  });
  assert.equal(container?.securityContext?.allowPrivilegeEscalation, false);
  assert.equal(container?.securityContext?.privileged, false);
  assert.equal(container?.securityContext?.runAsNonRoot, true);
  assert.deepEqual(container?.securityContext?.capabilities, { drop: ['ALL'] });
  assert.deepEqual(container?.startupProbe?.tcpSocket, { port: 'vnc' });
  assert.equal(container?.readinessProbe, undefined, 'VNC is not probed after start (TigerVNC blacklists probers)');
  assert.deepEqual(container?.volumeMounts, [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'shm', mountPath: '/dev/shm' },
    { name: 'home', mountPath: '/home/user' },
  ]);
  assert.deepEqual(pod.spec?.volumes?.at(-1), {
    name: 'home',
    persistentVolumeClaim: { claimName: `streamspace-home-${spec.sessionId}` },
  });
});

test('hibernated sessions are written with 0 replicas', () => {
  assert.equal(buildSessionManifests(spec, options, 0).deployment.spec?.replicas, 0);
});

test('the Service maps 5900 to the pod’s VNC port and selects only this session', () => {
  const { service } = buildSessionManifests(spec, options);
  assert.equal(service.metadata?.name, name);
  assert.equal(service.spec?.type, 'ClusterIP');
  assert.deepEqual(service.spec?.selector, { app: 'session', 'session-id': spec.sessionId });
  assert.deepEqual(service.spec?.ports, [{ name: 'vnc', port: 5900, targetPort: 'vnc', protocol: 'TCP' }]);
});

test("the NetworkPolicy admits VNC only from agent pods in the agent's namespace", () => {
  const { networkPolicy } = toWire(buildSessionManifests(spec, { ...options, egress: 'all' }));
  assert.deepEqual(networkPolicy.spec, {
    podSelector: { matchLabels: { app: 'session', 'session-id': spec.sessionId } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            podSelector: { matchLabels: { 'streamspace.io/component': 'agent' } },
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'streamspace-system' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 5901 }],
      },
    ],
  });
});

test('SESSION_EGRESS=internet (the default): egress anywhere but private, link-local and loopback ranges, plus cluster DNS', () => {
  const { networkPolicy } = toWire(buildSessionManifests(spec, options));
  assert.deepEqual(networkPolicy.spec?.policyTypes, ['Ingress', 'Egress']);
  const [anywhere, dns, ...more] = networkPolicy.spec?.egress ?? [];
  assert.equal(more.length, 0);
  assert.equal(anywhere?.to?.[0]?.ipBlock?.cidr, '0.0.0.0/0');
  assert.equal(anywhere?.ports, undefined);
  for (const range of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '127.0.0.0/8'])
    assert.ok(anywhere?.to?.[0]?.ipBlock?.except?.includes(range), range);
  assert.deepEqual(dns, {
    to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  });
});

test('SESSION_EGRESS=none: an Egress policy with no rule (nothing allowed); all: no Egress policy', () => {
  const none = toWire(buildSessionManifests(spec, { ...options, egress: 'none' })).networkPolicy.spec;
  assert.deepEqual([none?.policyTypes, none?.egress], [['Ingress', 'Egress'], []]);
  const all = toWire(buildSessionManifests(spec, { ...options, egress: 'all' })).networkPolicy.spec;
  assert.deepEqual([all?.policyTypes, all?.egress], [['Ingress'], undefined]);
});

test('a persistent home is a PVC of SESSION_HOME_SIZE in SESSION_STORAGE_CLASS; none without one', () => {
  const { homeClaim } = buildSessionManifests(spec, { ...options, storageClass: 'fast', homeSize: '10Gi' });
  assert.equal(homeClaim?.metadata?.name, `streamspace-home-${spec.sessionId}`);
  assert.deepEqual(homeClaim?.metadata?.labels, labels);
  assert.deepEqual(homeClaim?.spec, {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '10Gi' } },
    storageClassName: 'fast',
  });
  assert.equal(buildSessionManifests(spec, options).homeClaim?.spec?.storageClassName, undefined);
  const ephemeral = buildSessionManifests({ ...spec, template: { ...spec.template, persistent_home: false } }, options);
  assert.equal(ephemeral.homeClaim, undefined);
  assert.equal(
    ephemeral.deployment.spec?.template.spec?.volumes?.some((v) => v.persistentVolumeClaim),
    false,
  );
});

test('owner links point at the created Deployment by uid and do not block its deletion', () => {
  const { deployment } = buildSessionManifests(spec, options);
  assert.throws(() => ownedBy(deployment), /no name or uid/);
  deployment.metadata!.uid = 'uid-1';
  assert.deepEqual(ownedBy(deployment), { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: 'uid-1' });
});

test('agent ids that are not label values are hashed stably; the selector uses the same value', () => {
  assert.equal(agentLabelValue('k8s-1'), 'k8s-1');
  const long = `cluster/${'x'.repeat(80)}`;
  assert.match(agentLabelValue(long), /^sha256-[0-9a-f]{40}$/);
  assert.equal(agentLabelValue(long), agentLabelValue(long));
  assert.notEqual(agentLabelValue(long), agentLabelValue(`${long}y`));
  assert.equal(
    agentSelector(long),
    `app.kubernetes.io/managed-by=streamspace,app=session,streamspace.io/agent-id=${agentLabelValue(long)}`,
  );
  const { deployment } = buildSessionManifests(spec, { ...options, agentId: long });
  assert.equal(deployment.metadata?.labels?.['streamspace.io/agent-id'], agentLabelValue(long));
  assert.equal(deployment.metadata?.annotations?.['streamspace.io/agent-id'], long);
});

test('the VNC password goes into a Secret the pod reads through secretKeyRef, never into the Deployment', () => {
  const m = buildSessionManifests(spec, options, 1, 'pw123456');
  assert.deepEqual(m.vncSecret?.stringData, { 'vnc-password': obfuscateVncPassword('pw123456') });
  assert.equal(m.vncSecret?.metadata?.name, name);
  const env = m.deployment.spec!.template.spec!.containers[0]!.env!;
  assert.deepEqual(
    env.find((e) => e.name === 'VNC_PASSWORD_OBFUSCATED'),
    { name: 'VNC_PASSWORD_OBFUSCATED', valueFrom: { secretKeyRef: { name, key: 'vnc-password' } } },
  );
  assert.ok(!JSON.stringify(m.deployment).includes(obfuscateVncPassword('pw123456')));
  assert.equal(buildSessionManifests(spec, options, 1).vncSecret, undefined, 'no password, no Secret');
});
