import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentProcess } from '../support/agent-process.js';
import { canvasShowsDesktop, launchChromium, statusesUntilConnected } from '../support/browser.js';
import { XTERM_IMAGE } from '../support/podman.js';
import { waitFor } from '../support/wait-for.js';
import { downloadFile, fileSha256, uploadFile } from '../support/file-transfer.js';
import { helm, kubectl, kubectlWith, loadImages, requireCluster } from '../support/kube-cluster.js';

// The Kubernetes deployment end to end, with the commands the README gives: the chart installed by
// real helm into a real API server (every object admitted under RBAC and Pod Security), upgraded
// and uninstalled; then the control plane on the host and `streamspace agent kubernetes` running
// as the chart's ServiceAccount, a session whose pod runs on the node and streams to Chromium, and
// a pool of two agents that takes over when one is SIGKILLed.
const NS = 'streamspace';
// Where the chart puts sessions by default (<release>-sessions), and so where the agents run them.
const SESSIONS_NS = 'streamspace-sessions';
const RELEASE = 'streamspace';
const CHART = 'deploy/helm/streamspace';
const HEARTBEAT_TIMEOUT_MS = 3000;
const MiB = 1024 * 1024;
let dir: string;
let fresh: FreshDatabase | undefined;
let cp: TestControlPlane | undefined;
let browser: Browser | undefined;
const agents: AgentProcess[] = [];

before(async () => {
  await requireCluster();
  dir = await mkdtemp(join(tmpdir(), 'streamspace-k8s-e2e-'));
  for (const ns of [NS, SESSIONS_NS]) await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true']);
  // As the README says: the namespace first, labelled for Pod Security, then the chart into it.
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted']);
  await loadImages(XTERM_IMAGE);
});

after(async () => {
  for (const agent of agents) await agent.stop();
  await browser?.close();
  await cp?.stop();
  await fresh?.close();
  await helm(['uninstall', RELEASE, '-n', NS, '--wait']).catch(() => undefined);
  // The session namespace is kept on uninstall (it holds the sessions' home volumes).
  for (const ns of [NS, SESSIONS_NS]) {
    await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  }
  await rm(dir, { recursive: true, force: true });
});

/** Fails unless every object of the release exists, each looked up in its own namespace. */
async function assertReleaseObjectsExist(): Promise<string[]> {
  const manifest = await helm(['get', 'manifest', RELEASE, '-n', NS]);
  const objects = manifest.split(/^---$/m).filter((doc) => /^kind: /m.test(doc));
  for (const doc of objects) {
    const kind = /^kind: (\S+)/m.exec(doc)![1]!;
    const name = /^metadata:\n(?: {2}.*\n)*? {2}name: (\S+)/m.exec(doc)![1]!;
    const namespace = /^metadata:\n(?: {2}.*\n)*? {2}namespace: (\S+)/m.exec(doc)?.[1] ?? NS;
    await kubectl(['get', kind.toLowerCase(), name, '-n', namespace, '-o', 'name']);
  }
  return objects;
}

const secretData = async (name: string) =>
  (JSON.parse(await kubectl(['get', 'secret', name, '-n', NS, '-o', 'json'])) as { data: Record<string, string> }).data;

test('helm install with the defaults: every object is admitted; the seed’s password command answers', async () => {
  await helm(['install', RELEASE, CHART, '-n', NS]);
  const objects = await assertReleaseObjectsExist();
  assert.ok(objects.length >= 5, objects.join('---'));
  // The seed troubleshooting guide's command, as written.
  const password = await kubectl([
    'get',
    'secret',
    'streamspace-admin-credentials',
    '-n',
    NS,
    '-o',
    'jsonpath={.data.password}',
  ]);
  assert.ok(Buffer.from(password, 'base64').toString().length >= 16, 'a generated admin password');
});

test('helm upgrade keeps the generated secrets (lookup against the real API server)', async () => {
  const before = {
    admin: await secretData('streamspace-admin-credentials'),
  };
  // The chart's Secrets; helm's own release records (sh.helm.release.v1.*) change on every upgrade.
  const generated = (await kubectl(['get', 'secrets', '-n', NS, '-o', 'name']))
    .split('\n')
    .filter((name) => name && !name.startsWith('secret/sh.helm.release.'));
  assert.ok(generated.length >= 2, generated.join(' '));
  const all = Object.fromEntries(
    await Promise.all(generated.map(async (s) => [s, await secretData(s.split('/')[1]!)])),
  );
  await helm(['upgrade', RELEASE, CHART, '-n', NS, '--set', 'controlPlane.logLevel=debug']);
  assert.deepEqual(await secretData('streamspace-admin-credentials'), before.admin);
  for (const [name, data] of Object.entries(all)) {
    assert.deepEqual(await secretData(name.split('/')[1]!), data, `${name} kept its values across the upgrade`);
  }
});

test('a wrong value fails at helm install, naming the value', async () => {
  await assert.rejects(
    helm(['install', 'wrong', CHART, '-n', NS, '--dry-run=server', '--set', 'k8sAgent.config.heartbeatIntervall=5s']),
    /k8sAgent\/config.*heartbeatIntervall/,
  );
});

test('helm uninstall keeps the secrets marked keep; a new install with the agent and bundled PostgreSQL reuses them', async () => {
  const kept = await secretData('streamspace-admin-credentials');
  await helm(['uninstall', RELEASE, '-n', NS, '--wait']);
  assert.deepEqual(await secretData('streamspace-admin-credentials'), kept, 'the admin password survives uninstall');

  await helm([
    'install',
    RELEASE,
    CHART,
    '-n',
    NS,
    '--set',
    'k8sAgent.enabled=true',
    '--set',
    'postgresql.enabled=true',
  ]);
  const objects = await assertReleaseObjectsExist();
  assert.ok(
    objects.some((doc) => /^kind: Namespace$/m.test(doc)),
    'the chart made the session namespace',
  );
  assert.deepEqual(await secretData('streamspace-admin-credentials'), kept);
  // The seed troubleshooting guide's permission check, pointed at where sessions now run: yes
  // there, and no beside the control plane (kubectl exits 1 when it answers no).
  const canI = (namespace: string) =>
    kubectl([
      'auth',
      'can-i',
      'create',
      'deployments',
      '-n',
      namespace,
      '--as',
      'system:serviceaccount:streamspace:streamspace-agent',
    ]).catch((error: Error) => error.message);
  assert.equal((await canI(SESSIONS_NS)).trim(), 'yes');
  // `no` goes to stdout, which kubectl's failure does not carry: exit status 1 and nothing on stderr.
  assert.match(await canI(NS), /exited with 1:\s*$/);
  const labels = JSON.parse(await kubectl(['get', 'namespace', SESSIONS_NS, '-o', 'jsonpath={.metadata.labels}']));
  assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted');
});

/**
 * A kubeconfig for an agent outside the cluster, made with the README's commands: a token of the
 * chart's ServiceAccount from the TokenRequest API (`kubectl create token`), the cluster's CA and
 * address, nothing of the admin's.
 */
async function agentKubeconfig(file: string): Promise<void> {
  const token = (await kubectl(['create', 'token', 'streamspace-agent', '-n', NS, '--duration', '24h'])).trim();
  const ca = await kubectl([
    'config',
    'view',
    '--minify',
    '--flatten',
    '-o',
    'jsonpath={.clusters[0].cluster.certificate-authority-data}',
  ]);
  const server = (await kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).trim();
  const caFile = join(dir, 'ca.crt');
  await writeFile(caFile, Buffer.from(ca, 'base64'));
  await kubectlWith([
    'config',
    'set-cluster',
    'remote',
    '--kubeconfig',
    file,
    '--server',
    server,
    '--certificate-authority',
    caFile,
    '--embed-certs',
  ]);
  await kubectlWith(['config', 'set-credentials', 'agent', '--kubeconfig', file, '--token', token]);
  await kubectlWith([
    'config',
    'set-context',
    'remote',
    '--kubeconfig',
    file,
    '--cluster',
    'remote',
    '--user',
    'agent',
    '--namespace',
    SESSIONS_NS,
  ]);
  await kubectlWith(['config', 'use-context', 'remote', '--kubeconfig', file]);
}

/** `streamspace agent kubernetes` on the host, authenticated as the chart's ServiceAccount. */
async function startKubernetesAgent(agentId: string): Promise<AgentProcess> {
  const kubeconfig = join(dir, `${agentId}.kubeconfig`);
  await agentKubeconfig(kubeconfig);
  const agent = AgentProcess.start(
    {
      AGENT_ID: agentId,
      CONTROL_PLANE_URL: cp!.url,
      AGENT_TOKEN,
      KUBECONFIG: kubeconfig,
      NAMESPACE: SESSIONS_NS,
      HEARTBEAT_INTERVAL: '500ms',
    },
    'kubernetes',
  );
  agents.push(agent);
  await agent.waitForLog(`Agent registered successfully: ${agentId}`, 30_000);
  return agent;
}

const session = async (id: string) => (await cp!.api('GET', `/api/v1/sessions/${id}`)).body;
const waitState = (id: string, state: string, timeoutMs = 120_000) =>
  waitFor(
    `session ${id} ${state}`,
    async () => ((await session(id)).state === state ? session(id) : undefined),
    timeoutMs,
    100,
  );
const podOf = async (id: string) => {
  const list = JSON.parse(
    await kubectl(['get', 'pods', '-n', SESSIONS_NS, '-l', `session-id=${id}`, '-o', 'json']),
  ) as {
    items: Array<{ metadata: { uid: string; name: string }; spec: { nodeName?: string }; status: { phase: string } }>;
  };
  return list.items;
};

test('a session created through the API runs as a pod on the node and its desktop streams to Chromium', async () => {
  fresh = await PGLITE.fresh();
  cp = await (
    await startTestControlPlane(fresh, { env: { AGENT_HEARTBEAT_TIMEOUT: `${HEARTBEAT_TIMEOUT_MS}ms` } })
  ).loginAsAdmin();
  const agent = await startKubernetesAgent('k8s-e2e-a');
  const row = (await cp.api('GET', '/api/v1/agents/k8s-e2e-a')).body;
  assert.equal(row.platform, 'kubernetes');
  assert.match(
    agent.output,
    /Using Kubernetes at https:\/\/127\.0\.0\.1:\d+ \(KUBECONFIG=[^)]+\), sessions in namespace streamspace-sessions/,
  );

  const began = Date.now();
  const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  await waitState(id, 'running');
  process.stdout.write(`# session create → running on the cluster: ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
  const [pod] = await podOf(id);
  assert.equal(pod?.spec.nodeName, 'streamspace-node');
  assert.equal(pod?.status.phase, 'Running');

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await openViewer(page, id);
  await cp.api('DELETE', `/api/v1/sessions/${id}`);
  await waitState(id, 'deleted');
  await page.close();
});

async function openViewer(page: Page, id: string) {
  const { token } = cp!;
  await page.goto(cp!.url);
  await page.evaluate((t) => sessionStorage.setItem('streamspace-token', t!), token);
  await page.goto(`${cp!.url}/#/view/${id}`);
  await waitFor(
    'connected',
    async () => (await page.locator('[role=status]').textContent()) === 'connected',
    30_000,
    100,
  );
  await waitFor('desktop pixels', () => canvasShowsDesktop(page), 30_000, 100);
}

test('files in and out of a pod through the API and the agent: 100 MiB with equal sha256, owned by uid 1000; traversal refused; another user 404', async () => {
  const id = (await cp!.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id as string;
  await waitState(id, 'running');
  const [pod] = await podOf(id);
  const inPod = (command: string) =>
    kubectl(['exec', '-n', SESSIONS_NS, pod!.metadata.name, '--', 'sh', '-c', command]);

  const file = join(dir, 'big.bin');
  execFileSync('sh', ['-c', `head -c ${100 * MiB} /dev/urandom > "$1"`, 'sh', file]);
  const sha = await fileSha256(file);
  const up = await uploadFile(cp!.url, cp!.token!, id, 'big.bin', { file, size: 100 * MiB });
  assert.equal(up.status, 200, JSON.stringify(up.body));
  assert.equal((await inPod('stat -c "%u %g %s" /home/user/big.bin')).trim(), `1000 1000 ${100 * MiB}`);
  const down = await downloadFile(cp!.url, cp!.token!, id, '/home/user/big.bin');
  assert.equal(down.status, 200);
  assert.equal(down.sha256, sha, 'what came back is what went in');

  for (const path of ['../../etc/passwd', '/etc/passwd']) {
    const refused = await downloadFile(cp!.url, cp!.token!, id, path);
    assert.equal(refused.status, 400, path);
  }
  await inPod('ln -sf /etc/passwd /home/user/escape');
  const symlink = await downloadFile(cp!.url, cp!.token!, id, 'escape');
  assert.equal(symlink.status, 400, JSON.stringify(symlink.body));
  const stranger = await cp!.createUser('k8s-files-stranger');
  assert.equal((await downloadFile(cp!.url, stranger, id, 'big.bin')).status, 404);

  await cp!.api('DELETE', `/api/v1/sessions/${id}`);
  await waitState(id, 'deleted');
});

test('pool failover: SIGKILL the agent running two sessions with a viewer open; the other agent adopts both pods unchanged and the viewer repaints without a click', async () => {
  const first = agents.find((a) => a.output.includes('k8s-e2e-a'))!;
  const ids: string[] = [];
  for (let i = 0; i < 2; i++)
    ids.push((await cp!.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } })).body.id);
  for (const id of ids) assert.equal((await waitState(id, 'running')).agent_id, 'k8s-e2e-a');
  const pods = new Map(await Promise.all(ids.map(async (id) => [id, (await podOf(id))[0]!.metadata.uid] as const)));

  const second = await startKubernetesAgent('k8s-e2e-b');
  const pools = await Promise.all(
    ['k8s-e2e-a', 'k8s-e2e-b'].map(async (a) => (await cp!.api('GET', `/api/v1/agents/${a}`)).body.pool),
  );
  assert.equal(pools[0], pools[1], 'two agents on one cluster and namespace form one pool');

  const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  await openViewer(page, ids[0]!);
  const reconnected = statusesUntilConnected(page, HEARTBEAT_TIMEOUT_MS + 30_000);
  const killedAt = Date.now();
  await first.kill();
  for (const id of ids) {
    await waitFor(
      `session ${id} running on k8s-e2e-b`,
      async () => {
        const s = await session(id);
        return s.agent_id === 'k8s-e2e-b' && s.state === 'running';
      },
      HEARTBEAT_TIMEOUT_MS + 10_000,
      100,
    );
  }
  process.stdout.write(
    `# failover: both sessions running on the other agent ${Date.now() - killedAt} ms after SIGKILL\n`,
  );
  for (const id of ids) {
    const now = await podOf(id);
    assert.deepEqual(
      now.map((p) => p.metadata.uid),
      [pods.get(id)],
      'the same pod: adopted, not restarted',
    );
  }
  const statuses = await reconnected.catch(async (error: Error) => {
    const [pod] = await podOf(ids[0]!);
    const vnc = await kubectl(['logs', '-n', SESSIONS_NS, pod!.metadata.name]).catch((e: Error) => e.message);
    throw new Error(
      `${error.message}\nthe new owner's log:\n${second.output.slice(-3000)}\nthe session's log:\n${vnc.slice(-3000)}`,
    );
  });
  assert.ok(
    statuses.filter((s) => s !== 'connected').every((s) => s.includes('reconnecting')),
    `only closes the viewer retries by itself, never one that waits for a click: ${JSON.stringify(statuses)}`,
  );
  await waitFor('desktop pixels from the new owner', () => canvasShowsDesktop(page), 30_000, 100);
  process.stdout.write(`# failover: viewer showing pixels again ${Date.now() - killedAt} ms after SIGKILL\n`);

  // The old agent comes back and does not fight: the sessions stay where they are, running.
  const seen = cp!.logs.text.split('Agent reconciled: k8s-e2e-a').length;
  await startKubernetesAgent('k8s-e2e-a');
  await waitFor(
    'the returned agent reconciled',
    () => cp!.logs.text.split('Agent reconciled: k8s-e2e-a').length > seen,
  );
  for (const id of ids) {
    const s = await session(id);
    assert.deepEqual([s.agent_id, s.state], ['k8s-e2e-b', 'running']);
  }
  // Later commands go to the new owner.
  await cp!.api('PATCH', `/api/v1/sessions/${ids[1]}`, { body: { state: 'hibernated' } });
  await waitState(ids[1]!, 'hibernated');
  for (const id of ids) await cp!.api('DELETE', `/api/v1/sessions/${id}`);
  for (const id of ids) await waitState(id, 'deleted');
});
