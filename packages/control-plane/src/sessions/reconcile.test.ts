import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileAction } from './reconcile.js';

test('a container found stopped fails a running session and completes a stop or hibernate in flight', () => {
  assert.deepEqual(reconcileAction('running', 'stopped'), {
    kind: 'transition',
    to: 'failed',
    reason: "the session's container stopped while its agent was away",
  });
  assert.deepEqual(reconcileAction('stopping', 'stopped'), { kind: 'transition', to: 'stopped', reason: null });
  assert.deepEqual(reconcileAction('hibernating', 'stopped'), { kind: 'transition', to: 'hibernated', reason: null });
  assert.deepEqual(reconcileAction('hibernated', 'stopped'), { kind: 'none' });
  assert.deepEqual(reconcileAction('pending', 'stopped'), { kind: 'none' });
  assert.deepEqual(reconcileAction('deleted', 'stopped'), { kind: 'command', type: 'delete_session' });
});

test('a container found running completes a start, and is stopped where the database says it should not run', () => {
  assert.deepEqual(reconcileAction('running', 'running'), { kind: 'none' });
  assert.deepEqual(reconcileAction('starting', 'running'), { kind: 'transition', to: 'running', reason: null });
  assert.deepEqual(reconcileAction('stopped', 'running'), { kind: 'command', type: 'stop_session' });
  assert.deepEqual(reconcileAction('failed', 'running'), { kind: 'command', type: 'stop_session' });
  assert.deepEqual(reconcileAction('hibernated', 'running'), { kind: 'command', type: 'hibernate_session' });
  assert.deepEqual(reconcileAction('deleted', 'running'), { kind: 'command', type: 'delete_session' });
  // A stop or hibernate still queued is re-sent after the reconnect; nothing to add.
  assert.deepEqual(reconcileAction('stopping', 'running'), { kind: 'none' });
});
