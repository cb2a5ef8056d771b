import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerPool, kubernetesPool } from './platform-pool.js';

test('a Docker Engine is named by its stable ID', () => {
  const info = { ID: 'ABCD:EFGH', Name: 'host-1' };
  assert.equal(dockerPool(info, info, 'unix:///var/run/docker.sock'), 'docker:ABCD:EFGH');
});

test('podman (a new ID per call) is named by host name and socket, or by its remote address', () => {
  const first = { ID: 'e99db84c-9918-4223-b3ab-739874ad785e', Name: 'vm' };
  const second = { ID: '48de46c4-692e-4bc9-a933-8505487b86d7' };
  assert.equal(
    dockerPool(first, second, 'unix:///run/streamspace-podman.sock'),
    'docker:vm:unix:///run/streamspace-podman.sock',
  );
  assert.equal(dockerPool(first, second, 'tcp://10.0.0.5:2375'), 'docker:tcp://10.0.0.5:2375');
});

test('a Kubernetes pool is the session namespace on one API server', () => {
  assert.equal(kubernetesPool('streamspace', 'https://10.96.0.1:443'), 'kubernetes:streamspace@https://10.96.0.1:443');
});
