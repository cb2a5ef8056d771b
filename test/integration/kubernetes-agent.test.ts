import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeKubeApi } from '@streamspace/agent/testing/fake-kube-api';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';

// The control plane and `streamspace agent kubernetes` as its own process, as an operator runs it,
// against the fake Kubernetes API (no API server can run here): the agent registers as a
// kubernetes agent with its MAX_* capacity, turns start_session into the session's objects in
// NAMESPACE, and a pod the kubelet cannot start fails the session with Kubernetes' words.
const CLI = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));
const AGENT_ID = `k8s-it-${process.pid}`;
let api: FakeKubeApi;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: ChildProcessWithoutNullStreams;
let output = '';
let exited: Promise<number | null>;
let dir: string;

before(async () => {
  api = await FakeKubeApi.start();
  dir = await mkdtemp(join(tmpdir(), 'streamspace-k8s-agent-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${api.url}", insecure-skip-tls-verify: true}}]
users: [{name: agent, user: {token: fake-token}}]
contexts: [{name: fake, context: {cluster: fake, user: agent}}]
current-context: fake
`,
  );
  fresh = await PGLITE.fresh();
  cp = await (await startTestControlPlane(fresh, { env: { AGENT_HEARTBEAT_TIMEOUT: '1500ms' } })).loginAsAdmin();
  agent = spawn(process.execPath, [CLI, 'agent', 'kubernetes'], {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      AGENT_ID,
      CONTROL_PLANE_URL: cp.url,
      AGENT_TOKEN,
      KUBECONFIG: kubeconfig,
      NAMESPACE: 'sessions',
      AGENT_NAMESPACE: 'streamspace-system',
      MAX_SESSIONS: '3',
      MAX_CPU: '4',
      MAX_MEMORY: '8',
      HEARTBEAT_INTERVAL: '500ms',
    },
  });
  agent.stdout.on('data', (d: Buffer) => (output += d.toString()));
  agent.stderr.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise((resolve) => agent.on('exit', (code) => resolve(code)));
});
after(async () => {
  if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  await cp?.stop();
  await fresh?.close();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Waits for `probe`, failing at once (with the agent's output) if the agent process exits. */
const whileAgentRuns = <T>(what: string, probe: () => Promise<T | undefined>) =>
  Promise.race([
    waitFor(what, probe, 20_000),
    exited.then((code) => {
      throw new Error(`the agent exited with ${code} while waiting for ${what}:\n${output.slice(-2000)}`);
    }),
  ]);

test('`streamspace agent kubernetes` registers as a kubernetes agent with its MAX_* capacity', async () => {
  const row = await whileAgentRuns('the kubernetes agent online', async () => {
    const r = (await cp.api('GET', `/api/v1/agents/${AGENT_ID}`)).body;
    return r?.status === 'online' ? r : undefined;
  });
  assert.equal(row.platform, 'kubernetes');
  assert.deepEqual(row.capacity, { max_sessions: 3, max_cpu: 4, max_memory_gb: 8 });
  assert.match(
    output,
    new RegExp(`Using Kubernetes at ${api.url} \\(KUBECONFIG=[^)]+\\), sessions in namespace sessions`),
  );
  // It listed and watches the session pods of this agent only.
  const watch = api.requests.find((r) => r.path === '/api/v1/namespaces/sessions/pods' && r.query.watch === 'true');
  assert.equal(
    watch?.query.labelSelector,
    `app.kubernetes.io/managed-by=streamspace,app=session,streamspace.io/agent-id=${AGENT_ID}`,
  );
});

test('a session whose image cannot be pulled becomes failed with the reason and the event text', async () => {
  api.onPodCreated = (pod) => {
    api.addEvent(pod, 'Normal', 'Pulling', 'Pulling image "streamspace/xterm:latest"');
    api.addEvent(
      pod,
      'Warning',
      'Failed',
      'Failed to pull image "streamspace/xterm:latest": pull access denied, repository does not exist',
    );
    api.updatePod(pod.metadata.name, (p) => {
      p.spec.nodeName = 'node-1';
      p.status = {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        containerStatuses: [
          {
            name: 'session',
            image: 'streamspace/xterm:latest',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: {
              waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "streamspace/xterm:latest"' },
            },
          },
        ],
      };
    });
  };
  const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const failed = await whileAgentRuns(`session ${id} failed`, async () => {
    const s = (await cp.api('GET', `/api/v1/sessions/${id}`)).body;
    return s.state === 'failed' ? s : undefined;
  });
  assert.match(failed.state_reason, /ImagePullBackOff: Back-off pulling image "streamspace\/xterm:latest"/);
  assert.match(failed.state_reason, /Failed to pull image "streamspace\/xterm:latest": pull access denied/);
  const deployment = api.get('deployments', 'sessions', `streamspace-session-${id}`);
  assert.equal(deployment?.metadata.labels?.['session-id'], id);
  assert.equal(deployment?.spec.template.spec.containers[0].image, 'streamspace/xterm:latest');
  assert.ok(api.get('networkpolicies', 'sessions', `streamspace-session-${id}`));
  assert.ok(api.get('services', 'sessions', `streamspace-session-${id}`));
});

test('SIGTERM stops the agent cleanly: its pod watch closes and it exits 0', async () => {
  agent.kill('SIGTERM');
  assert.equal(await exited, 0);
});
