import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AGENT_SETTINGS, checkHeartbeat, loadAgentConfig } from './config.js';

test('a standalone agent must be told who it is and where to dial (the join token is checked at start)', () => {
  const result = loadAgentConfig({}, { platform: 'docker' });
  assert.deepEqual(!result.ok && result.problems, [
    'AGENT_ID: required, a unique name for this agent (e.g. docker-host-1)',
    'CONTROL_PLANE_URL: required, the control plane to dial, e.g. wss://streamspace.example.com',
  ]);
});

test('AGENT_ID is refused with the reason when it is not a label-safe name', () => {
  const result = loadAgentConfig({ AGENT_ID: 'агент-1', CONTROL_PLANE_URL: 'ws://cp:8080' }, { platform: 'docker' });
  assert.match((!result.ok && result.problems[0]) || '', /^AGENT_ID: agent id "агент-1" may contain only ASCII/);
});

test('the credential file defaults to one per AGENT_ID in the home directory', () => {
  const result = loadAgentConfig({ AGENT_ID: 'host-1', CONTROL_PLANE_URL: 'ws://cp' }, { platform: 'docker' });
  assert.ok(result.ok);
  assert.match(result.config.credentialFile, /\.streamspace\/agent-host-1\.credential$/);
  assert.equal(result.config.agentToken, undefined);
});

test('defaults follow the seed: 10 s heartbeat, 0 = unlimited capacity; URLs gain /agent/ws', () => {
  const result = loadAgentConfig(
    { AGENT_ID: 'a', CONTROL_PLANE_URL: 'https://cp.example.com', AGENT_TOKEN: 't'.repeat(16) },
    { platform: 'docker' },
  );
  assert.ok(result.ok);
  assert.equal(result.config.controlPlaneUrl, 'wss://cp.example.com/agent/ws');
  assert.equal(result.config.heartbeatIntervalMs, 10_000);
  assert.deepEqual([result.config.maxSessions, result.config.maxCpu, result.config.maxMemoryGb], [0, 0, 0]);
  const custom = loadAgentConfig(
    {
      AGENT_ID: 'a',
      CONTROL_PLANE_URL: 'ws://cp:8080/api/v1/agents/hub',
      AGENT_TOKEN: 't',
      MAX_SESSIONS: '2',
      MAX_MEMORY: '1.5',
    },
    { platform: 'docker' },
  );
  assert.ok(custom.ok);
  assert.equal(custom.config.controlPlaneUrl, 'ws://cp:8080/api/v1/agents/hub');
  assert.equal(custom.config.maxSessions, 2);
  assert.equal(custom.config.maxMemoryGb, 1.5);
});

test('bad values name the variable', () => {
  const result = loadAgentConfig(
    {
      AGENT_ID: 'a',
      CONTROL_PLANE_URL: 'ftp://x',
      AGENT_TOKEN: 't',
      MAX_SESSIONS: '1.5',
      HEARTBEAT_INTERVAL: '10',
      PLATFORM: 'vm',
    },
    { platform: 'docker' },
  );
  assert.deepEqual(!result.ok && result.problems, [
    'CONTROL_PLANE_URL: expected a ws://, wss://, http:// or https:// URL (unsupported scheme ftp:)',
    'PLATFORM: expected docker or kubernetes, got "vm"',
    'MAX_SESSIONS: expected a whole number ≥ 0 (0 = unlimited), got "1.5"',
    'HEARTBEAT_INTERVAL: expected a duration like 10s or 1m, got "10"',
  ]);
});

test('a heartbeat interval not below half the control plane timeout is refused with the fix', () => {
  assert.equal(checkHeartbeat(10_000, 30_000), undefined);
  assert.equal(
    checkHeartbeat(30_000, 45_000),
    "HEARTBEAT_INTERVAL: 30s is not below half of the control plane's AGENT_HEARTBEAT_TIMEOUT (45s); set it below 22500ms",
  );
});

test('every variable the agent reads is documented', () => {
  const source = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');
  const read = new Set([...source.matchAll(/(?:get|number|duration)\('([A-Z_]+)'/g)].map((m) => m[1]));
  const documented = new Set(AGENT_SETTINGS.map((s) => s.env));
  assert.deepEqual(
    [...read].filter((v) => !documented.has(v!)),
    [],
  );
  assert.ok(read.size >= 10);
});

test('Kubernetes settings: defaults, and bad values named', () => {
  const base = { AGENT_ID: 'k8s-1', CONTROL_PLANE_URL: 'wss://cp', AGENT_TOKEN: 't' };
  const result = loadAgentConfig(base, { platform: 'kubernetes' });
  assert.ok(result.ok);
  assert.equal(result.config.platform, 'kubernetes');
  assert.deepEqual(
    [
      result.config.namespace,
      result.config.agentNamespace,
      result.config.kubeconfig,
      result.config.sessionStorageClass,
      result.config.sessionHomeSize,
      result.config.sessionImagePullPolicy,
    ],
    ['streamspace', undefined, undefined, undefined, '5Gi', 'IfNotPresent'],
  );
  const bad = loadAgentConfig(
    { ...base, NAMESPACE: 'Sessions_1', SESSION_HOME_SIZE: '5 GB', SESSION_IMAGE_PULL_POLICY: 'always' },
    { platform: 'kubernetes' },
  );
  assert.deepEqual(!bad.ok && bad.problems, [
    `NAMESPACE: expected a Kubernetes namespace name (lower-case letters, digits, '-'), got "Sessions_1"`,
    'SESSION_HOME_SIZE: expected a Kubernetes quantity such as 5Gi or 500Mi, got "5 GB"',
    'SESSION_IMAGE_PULL_POLICY: expected Always, IfNotPresent or Never, got "always"',
  ]);
});

test('SESSION_EGRESS: internet by default, none and all accepted, anything else named', () => {
  const base = { AGENT_ID: 'a', CONTROL_PLANE_URL: 'ws://cp', AGENT_TOKEN: 't'.repeat(16) };
  const loaded = loadAgentConfig(base, { platform: 'docker' });
  assert.ok(loaded.ok);
  assert.equal(loaded.config.sessionEgress, 'internet');
  for (const policy of ['none', 'all']) {
    const other = loadAgentConfig({ ...base, SESSION_EGRESS: policy }, { platform: 'docker' });
    assert.equal(other.ok && other.config.sessionEgress, policy);
  }
  const bad = loadAgentConfig({ ...base, SESSION_EGRESS: 'open' }, { platform: 'docker' });
  assert.deepEqual(!bad.ok && bad.problems, ['SESSION_EGRESS: expected internet, none or all, got "open"']);
});

test('IMAGE_BUILD_ON_DEMAND: false for a standalone agent, true under `streamspace up`, either overridable', () => {
  const env = { AGENT_ID: 'a', CONTROL_PLANE_URL: 'ws://cp' };
  const allInOne = {
    controlPlaneUrl: 'ws://127.0.0.1:1',
    agentToken: 't',
    credentialFile: '/tmp/c',
    heartbeatIntervalMs: 1000,
  };
  const read = (e: Record<string, string>, up: boolean) => {
    const result = loadAgentConfig({ ...env, ...e }, { platform: 'docker', ...(up ? { allInOne } : {}) });
    return result.ok ? result.config.imageBuildOnDemand : result.problems;
  };
  assert.equal(read({}, false), false);
  assert.equal(read({}, true), true);
  assert.equal(read({ IMAGE_BUILD_ON_DEMAND: 'false' }, true), false);
  assert.equal(read({ IMAGE_BUILD_ON_DEMAND: 'TRUE' }, false), true);
  assert.deepEqual(read({ IMAGE_BUILD_ON_DEMAND: 'yes' }, false), [
    'IMAGE_BUILD_ON_DEMAND: expected true or false, got "yes"',
  ]);
});
