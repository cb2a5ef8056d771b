import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriverError } from '../session-driver.js';
import { SERVICE_ACCOUNT_DIR, loadKubeConfig, resolveAgentNamespace } from './kubernetes-connection.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const temp = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'streamspace-kube-'));
  dirs.push(dir);
  return dir;
};
const kubeconfig = (server: string) => `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;

test('KUBECONFIG wins; then the pod’s ServiceAccount; then ~/.kube/config; else a clear error', async () => {
  const root = await temp();
  const home = await temp();
  const file = join(root, 'config');
  await writeFile(file, kubeconfig('https://explicit:6443'));
  assert.equal(loadKubeConfig(file, { root, home }).kubeConfig.getCurrentCluster()?.server, 'https://explicit:6443');

  assert.throws(
    () => loadKubeConfig(undefined, { root, home }),
    (e: unknown) => e instanceof DriverError && e.code === 'platform_unavailable' && /set KUBECONFIG/.test(e.message),
  );
  await mkdir(join(home, '.kube'));
  await writeFile(join(home, '.kube', 'config'), kubeconfig('https://home:6443'));
  const fromHome = loadKubeConfig(undefined, { root, home });
  assert.equal(fromHome.kubeConfig.getCurrentCluster()?.server, 'https://home:6443');
  assert.equal(fromHome.source, join(home, '.kube', 'config'));

  await mkdir(join(root, SERVICE_ACCOUNT_DIR), { recursive: true });
  await writeFile(join(root, SERVICE_ACCOUNT_DIR, 'token'), 'token');
  const inCluster = loadKubeConfig(undefined, { root, home });
  assert.equal(inCluster.source, 'in-cluster ServiceAccount');
  assert.equal(inCluster.kubeConfig.getCurrentUser()?.name, 'inClusterUser');

  assert.throws(
    () => loadKubeConfig(join(root, 'missing'), { root, home }),
    (e: unknown) => e instanceof DriverError && /^KUBECONFIG: cannot load/.test(e.message),
  );
});

test('AGENT_NAMESPACE, else the pod’s namespace file, else NAMESPACE', async () => {
  const dir = await temp();
  assert.equal(resolveAgentNamespace({ agentNamespace: 'agents', namespace: 's' }, dir), 'agents');
  assert.equal(resolveAgentNamespace({ agentNamespace: undefined, namespace: 's' }, dir), 's');
  await writeFile(join(dir, 'namespace'), 'streamspace-system\n');
  assert.equal(resolveAgentNamespace({ agentNamespace: undefined, namespace: 's' }, dir), 'streamspace-system');
});
