import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildContainerSpec } from './container-spec.js';
import { obfuscateVncPassword } from '../../tunnel/vnc-password.js';

const spec = {
  sessionId: '6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d',
  user: 'alice',
  template: {
    name: 'xterm',
    image: 'streamspace/xterm:latest',
    vnc_port: 5900,
    cpu_limit: 0.5,
    memory_limit_mb: 512,
    env: { SCREEN_WIDTH: '1280' },
    persistent_home: true,
  },
};

test('a session becomes an unprivileged, limited, labelled container with its home on a volume', () => {
  const container = buildContainerSpec(
    spec,
    {
      agentId: 'docker-1',
      pool: 'docker:vm:unix:///run/streamspace-podman.sock',
      network: 'streamspace-sessions',
      vncAccess: 'container-ip',
    },
    'pa55word',
  );
  assert.equal(container.name, 'streamspace-session-6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d');
  assert.equal(container.Image, 'streamspace/xterm:latest');
  assert.deepEqual(container.Labels, {
    'streamspace.managed': 'true',
    'streamspace.session-id': spec.sessionId,
    'streamspace.agent-id': 'docker-1',
    'streamspace.pool': 'docker:vm:unix:///run/streamspace-podman.sock',
    'streamspace.template': 'xterm',
    'streamspace.user': 'alice',
  });
  assert.equal(container.User, '1000:1000');
  assert.ok(container.Env?.includes('SCREEN_WIDTH=1280'));
  assert.ok(
    container.Env?.includes('VNC_PASSWORD_OBFUSCATED=' + obfuscateVncPassword('pa55word')),
    'Xvnc asks for a password',
  );
  const host = container.HostConfig!;
  assert.equal(host.NanoCpus, 500_000_000);
  assert.equal(host.Memory, 512 * 1024 * 1024);
  assert.deepEqual(host.CapDrop, ['ALL']);
  assert.deepEqual(host.SecurityOpt, ['no-new-privileges']);
  assert.equal(host.Privileged, false);
  assert.equal(host.NetworkMode, 'streamspace-sessions');
  assert.deepEqual(host.Mounts, [
    { Type: 'volume', Source: `streamspace-home-${spec.sessionId}`, Target: '/home/user' },
  ]);
  assert.equal(host.PortBindings, undefined, 'VNC is not published at all by default');
});

test('loopback-port access publishes VNC on 127.0.0.1 only, never on every interface', () => {
  const container = buildContainerSpec(spec, { agentId: 'docker-1', network: 'n', vncAccess: 'loopback-port' }, 'x');
  assert.deepEqual(container.HostConfig!.PortBindings, { '5900/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
});

test('no home volume when the template does not ask for one', () => {
  const container = buildContainerSpec(
    { ...spec, template: { ...spec.template, persistent_home: false } },
    { agentId: 'a', network: 'n', vncAccess: 'container-ip' },
    'x',
  );
  assert.equal(container.HostConfig!.Mounts, undefined);
});
