import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreV1Event, V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { assessPod, failureText, latestWarning, podProgress } from './pod-status.js';
import { parseCpu, parseMemoryGb } from './quantity.js';

const IMAGE = 'registry.example.com/streamspace/xterm:latest';
const pod = (status: V1Pod['status']): V1Pod => ({
  metadata: { name: 'streamspace-session-x-7d9f-abcde', uid: 'pod-uid' },
  spec: { nodeName: 'node-1', containers: [{ name: 'session', image: IMAGE }] },
  status,
});
const scheduled: V1PodCondition = { type: 'PodScheduled', status: 'True' };
const container = (c: Partial<V1ContainerStatus>): V1ContainerStatus => ({
  name: 'session',
  image: IMAGE,
  imageID: '',
  ready: false,
  restartCount: 0,
  ...c,
});
const event = (type: string, reason: string, message: string, at: string): CoreV1Event => ({
  metadata: {},
  involvedObject: { kind: 'Pod', name: 'p', uid: 'pod-uid' },
  type,
  reason,
  message,
  lastTimestamp: new Date(at),
});

test('a pod not yet scheduled waits for a node; scheduled and creating it is getting its image', () => {
  assert.deepEqual(assessPod(pod({ phase: 'Pending' })), {
    kind: 'pending',
    progress: { step: 'scheduling', message: 'waiting for a node to run the session' },
  });
  const creating = pod({
    phase: 'Pending',
    conditions: [scheduled],
    containerStatuses: [container({ state: { waiting: { reason: 'ContainerCreating' } } })],
  });
  assert.deepEqual(assessPod(creating), {
    kind: 'pending',
    progress: { step: 'image', message: `scheduled on node-1; getting image ${IMAGE}` },
  });
});

test('progress follows the newest scheduler/kubelet event, in time order whatever the list order', () => {
  const creating = pod({
    phase: 'Pending',
    conditions: [scheduled],
    containerStatuses: [container({ state: { waiting: { reason: 'ContainerCreating' } } })],
  });
  const events = [
    event('Normal', 'Pulling', `Pulling image "${IMAGE}"`, '2026-01-01T00:00:02Z'),
    event('Normal', 'Scheduled', 'Successfully assigned streamspace/p to node-1', '2026-01-01T00:00:01Z'),
  ];
  assert.deepEqual(podProgress(creating, events.slice(1)), {
    step: 'image',
    message: `scheduled on node-1; getting image ${IMAGE}`,
  });
  assert.deepEqual(podProgress(creating, events), { step: 'image', message: `Pulling image "${IMAGE}"` });
  events.push(event('Normal', 'Created', 'Created container session', '2026-01-01T00:00:09Z'));
  assert.deepEqual(podProgress(creating, events), { step: 'container', message: 'Created container session' });
  assert.equal(
    podProgress(
      pod({ phase: 'Running', conditions: [scheduled], containerStatuses: [container({ state: { running: {} } })] }),
      events,
    ),
    undefined,
  );
});

test('a running container is running; ErrImagePull alone is still retried', () => {
  const running = pod({
    phase: 'Running',
    conditions: [scheduled],
    containerStatuses: [container({ state: { running: {} } })],
  });
  assert.deepEqual(assessPod(running), { kind: 'running' });
  const retrying = assessPod(
    pod({
      phase: 'Pending',
      conditions: [scheduled],
      containerStatuses: [container({ state: { waiting: { reason: 'ErrImagePull', message: 'rpc error: timeout' } } })],
    }),
  );
  assert.equal(retrying.kind, 'pending');
});

test('ImagePullBackOff fails at once as image_not_found, with the status text and the pull event', () => {
  const p = pod({
    phase: 'Pending',
    conditions: [scheduled],
    containerStatuses: [
      container({
        state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${IMAGE}"` } },
      }),
    ],
  });
  const assessed = assessPod(p);
  assert.deepEqual(assessed, {
    kind: 'failed',
    code: 'image_not_found',
    reason: 'ImagePullBackOff',
    message: `Back-off pulling image "${IMAGE}"`,
  });
  const events = [
    event('Normal', 'Pulling', `Pulling image "${IMAGE}"`, '2026-01-01T00:00:01Z'),
    event(
      'Warning',
      'Failed',
      `Failed to pull image "${IMAGE}": rpc error: code = NotFound desc = not found`,
      '2026-01-01T00:00:02Z',
    ),
    event('Warning', 'Failed', 'Error: ErrImagePull', '2026-01-01T00:00:01.5Z'),
  ];
  assert.equal(
    assessed.kind === 'failed' && failureText(assessed, events),
    `ImagePullBackOff: Back-off pulling image "${IMAGE}" (event Failed: Failed to pull image "${IMAGE}": rpc error: code = NotFound desc = not found)`,
  );
});

test('CrashLoopBackOff and OOMKilled fail with the exit code; a restarted container counts as failed', () => {
  const crash = assessPod(
    pod({
      phase: 'Running',
      conditions: [scheduled],
      containerStatuses: [
        container({
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        }),
      ],
    }),
  );
  assert.deepEqual(crash, {
    kind: 'failed',
    code: 'start_failed',
    reason: 'CrashLoopBackOff',
    message: 'container exited with code 1 (Error); back-off 40s restarting failed container',
  });
  const oom = assessPod(
    pod({
      phase: 'Running',
      conditions: [scheduled],
      containerStatuses: [
        container({
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        }),
      ],
    }),
  );
  assert.deepEqual(oom, {
    kind: 'failed',
    code: 'start_failed',
    reason: 'OOMKilled',
    message: 'container exited with code 137 (out of memory: OOMKilled)',
  });
});

test('Unschedulable fails at once with the scheduler’s words; an evicted pod fails with its reason', () => {
  const message = '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available';
  const p = pod({
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
  });
  const assessed = assessPod(p);
  assert.deepEqual(assessed, { kind: 'failed', code: 'start_failed', reason: 'Unschedulable', message });
  // The FailedScheduling event repeats the condition's text: it is not said twice.
  const events = [event('Warning', 'FailedScheduling', message, '2026-01-01T00:00:01Z')];
  assert.equal(assessed.kind === 'failed' && failureText(assessed, events), `Unschedulable: ${message}`);
  assert.deepEqual(
    assessPod(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' })),
    {
      kind: 'failed',
      code: 'start_failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory.',
    },
  );
});

test('Unschedulable while the home claim is being provisioned is still pending: the scheduler retries', () => {
  // The words kube-scheduler 1.34 used in the test cluster while the PVC was being bound.
  const waiting = pod({
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found',
      },
    ],
  });
  assert.deepEqual(assessPod(waiting), {
    kind: 'pending',
    progress: { step: 'scheduling', message: 'waiting for the home volume to be provisioned' },
  });
  const full = pod({
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: '0/1 nodes are available: 1 Insufficient cpu, pod has unbound immediate PersistentVolumeClaims.',
      },
    ],
  });
  assert.equal(assessPod(full).kind, 'failed', 'no capacity is final even while a claim waits');
});

test('latestWarning picks the newest warning; none without warnings', () => {
  assert.equal(latestWarning([event('Normal', 'Pulled', 'ok', '2026-01-01T00:00:01Z')]), undefined);
  assert.equal(
    latestWarning([
      event('Warning', 'BackOff', 'newer', '2026-01-01T00:00:05Z'),
      event('Warning', 'Failed', 'older', '2026-01-01T00:00:01Z'),
    ]),
    'BackOff: newer',
  );
});

test('quantities read back as cores and GiB', () => {
  assert.equal(parseCpu('500m'), 0.5);
  assert.equal(parseCpu('2'), 2);
  assert.equal(parseMemoryGb('512Mi'), 0.5);
  assert.equal(parseMemoryGb('4Gi'), 4);
  assert.equal(parseMemoryGb('nonsense'), 0);
});
