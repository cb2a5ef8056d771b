import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import {
  applyEgressRules,
  containerName,
  egressChainName,
  removeEgressRules,
  type RunningAgent,
} from '@streamspace/agent';
import { PGLITE, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { LogCapture } from '../support/log-capture.js';
import { waitFor } from '../support/wait-for.js';
import { execIn, removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';

// SESSION_EGRESS on podman, from inside a real xterm session container: with `internet` the
// control plane's port on the host and a private address are unreachable, with `all` both are.
// The private address lives in a network namespace this test creates (a veth pair, 192.168.N.0/24),
// so no traffic leaves this machine. The session network is this test's own, so the rules it
// installs touch no other test's sessions.
const run = promisify(execFile);
const AGENT_ID = `egress-it-${process.pid}`;
const NETWORK = `streamspace-egress-${process.pid}`;
const NETNS = `ss-egress-${process.pid}`;
const VETH = `sseg${process.pid % 100_000}`;
const OCTET = 20 + (process.pid % 200);
const PRIVATE_HOST = `192.168.${OCTET}.2`;
const PRIVATE_PORT = 7411;

let docker: Docker;
let fresh: FreshDatabase;
let cp: TestControlPlane;
let agent: RunningAgent | undefined;
let listener: ChildProcess | undefined;
let subnet = '';
let gateway = '';
let sessionId = '';
const agentLogs = new LogCapture();

const ip = (...args: string[]) => run('ip', args);

/** Whether a TCP connection from inside the session reaches host:port (3 s to answer: blocked packets are dropped). */
async function reachable(host: string, port: number): Promise<boolean> {
  const out = await execIn(
    docker,
    containerName(sessionId),
    `timeout 3 bash -c 'exec 3<>/dev/tcp/${host}/${port}' 2>/dev/null && echo open || echo closed`,
  );
  return out.trim() === 'open';
}

before(async () => {
  docker = await requireContainerEngine();
  await removeAgentResources(docker, AGENT_ID);
  // The private host: a namespace behind a veth pair, routed by this host like any private network.
  await ip('netns', 'add', NETNS);
  await ip('link', 'add', `${VETH}h`, 'type', 'veth', 'peer', 'name', `${VETH}n`);
  await ip('link', 'set', `${VETH}n`, 'netns', NETNS);
  await ip('addr', 'add', `192.168.${OCTET}.1/24`, 'dev', `${VETH}h`);
  await ip('link', 'set', `${VETH}h`, 'up');
  await ip('-n', NETNS, 'addr', 'add', `${PRIVATE_HOST}/24`, 'dev', `${VETH}n`);
  await ip('-n', NETNS, 'link', 'set', `${VETH}n`, 'up');
  await ip('-n', NETNS, 'route', 'add', 'default', 'via', `192.168.${OCTET}.1`);
  listener = spawn('ip', [
    'netns',
    'exec',
    NETNS,
    process.execPath,
    '-e',
    `require('net').createServer((s) => s.end('hi')).listen(${PRIVATE_PORT}, '${PRIVATE_HOST}', () => console.log('listening'))`,
  ]);
  const [line] = (await once(createInterface({ input: listener.stdout! }), 'line')) as [string];
  assert.equal(line, 'listening');

  fresh = await PGLITE.fresh();
  // HOST 0.0.0.0 (the default): the control plane answers on the session bridge's gateway too.
  cp = await (await startTestControlPlane(fresh, { env: { HOST: '0.0.0.0' } })).loginAsAdmin();
});

after(async () => {
  await agent?.stop();
  await cp?.stop();
  await fresh?.close();
  if (docker) await removeAgentResources(docker, AGENT_ID);
  if (subnet) await removeEgressRules(subnet);
  await docker
    ?.getNetwork(NETWORK)
    .remove()
    .catch(() => undefined);
  listener?.kill();
  await ip('link', 'del', `${VETH}h`).catch(() => undefined);
  await ip('netns', 'del', NETNS).catch(() => undefined);
});

test('internet: the session cannot reach the control plane on the host nor a private address', async () => {
  agent = await startDockerAgent(cp.url, AGENT_ID, {
    env: { SESSION_NETWORK: NETWORK, SESSION_EGRESS: 'internet', SESSION_READY_TIMEOUT: '30s' },
    logs: agentLogs,
  });
  const network = (await docker.getNetwork(NETWORK).inspect()) as {
    IPAM: { Config: Array<{ Subnet: string; Gateway: string }> };
  };
  ({ Subnet: subnet, Gateway: gateway } = network.IPAM.Config[0]!);
  assert.ok(
    agentLogs.lines.some((l) => l.includes(`SESSION_EGRESS=internet enforced with iptables`)),
    agentLogs.text,
  );

  const created = await cp.api('POST', '/api/v1/sessions', { body: { template: 'xterm' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  sessionId = created.body.id;
  // Running means the agent reached its VNC port through the rules: connections into a session are not egress.
  await waitFor(
    'the session running',
    async () => {
      const s = (await cp.api('GET', `/api/v1/sessions/${sessionId}`)).body;
      if (s.state === 'failed') throw new Error(s.state_reason);
      return s.state === 'running';
    },
    60_000,
  );

  // Both targets answer from this host, so only the session's policy stands between them.
  assert.equal((await fetch(`http://${gateway}:${cp.cp.port}/health`)).status, 200);
  assert.equal(await reachable(gateway, cp.cp.port), false, 'the control plane port on the host');
  assert.equal(await reachable(PRIVATE_HOST, PRIVATE_PORT), false, 'a private address');
});

test('all: the agent removes its rules, and the same session reaches both', async () => {
  assert.ok(sessionId, 'the previous test started a session');
  await agent?.stop();
  agent = await startDockerAgent(cp.url, AGENT_ID, {
    env: { SESSION_NETWORK: NETWORK, SESSION_EGRESS: 'all', SESSION_READY_TIMEOUT: '30s' },
  });
  await assert.rejects(run('iptables', ['-w', '-t', 'mangle', '-S', egressChainName(subnet)]), 'the chain is gone');
  assert.equal(await reachable(gateway, cp.cp.port), true, 'the control plane port on the host');
  assert.equal(await reachable(PRIVATE_HOST, PRIVATE_PORT), true, 'a private address');
});

test('agents of one engine starting together each replace the rules whole: the reply rule stays first', async () => {
  // A subnet no session uses (RFC 2544's benchmark range): only the chain's contents matter here.
  const bench = `198.18.${OCTET}.0/24`;
  const chain = egressChainName(bench);
  try {
    // Eight agents' starts at once, alternating policies: each must leave a complete chain.
    await Promise.all(Array.from({ length: 8 }, (_, i) => applyEgressRules(i % 2 ? 'internet' : 'none', bench)));
    const rules = (await run('iptables', ['-w', '-t', 'mangle', '-S', chain])).stdout
      .split('\n')
      .filter((line) => line.startsWith('-A '));
    assert.match(rules[0]!, /--ctstate RELATED,ESTABLISHED -j RETURN/, rules.join('\n'));
    assert.equal(rules.filter((r) => r.includes('ESTABLISHED')).length, 1, 'one policy, not two interleaved');
    const none = rules.length === 2 && rules[1] === `-A ${chain} -j DROP`;
    const internet = rules.length > 2 && rules.slice(1).every((r) => !r.endsWith(`-A ${chain} -j DROP`));
    assert.ok(none || internet, `one whole policy:\n${rules.join('\n')}`);
  } finally {
    await removeEgressRules(bench);
  }
});
