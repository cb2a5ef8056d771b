import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SESSION_STATES } from '@streamspace/protocol';
import { TRANSITIONS, canTransition, planRequest, requestableFrom } from './session-state.js';

test('deleted is terminal and every other state can fail or be deleted', () => {
  assert.deepEqual(TRANSITIONS.deleted, []);
  for (const state of SESSION_STATES) {
    if (state === 'deleted') continue;
    assert.ok(canTransition(state, 'deleted'), `${state} → deleted`);
    if (state !== 'failed') assert.ok(canTransition(state, 'failed'), `${state} → failed`);
  }
});

test('the design path is allowed and shortcuts around it are not', () => {
  for (const [from, to] of [
    ['pending', 'starting'],
    ['starting', 'running'],
    ['running', 'stopping'],
    ['stopping', 'stopped'],
    ['running', 'hibernating'],
    ['hibernating', 'hibernated'],
    ['hibernated', 'starting'],
  ] as const) {
    assert.ok(canTransition(from, to), `${from} → ${to}`);
  }
  for (const [from, to] of [
    ['stopped', 'running'],
    ['failed', 'running'],
    ['running', 'hibernated'],
    ['running', 'pending'],
    ['deleted', 'running'],
  ] as const) {
    assert.ok(!canTransition(from, to), `${from} ↛ ${to}`);
  }
});

test('user requests map to the state to enter and the command to send', () => {
  assert.deepEqual(planRequest('running', 'hibernated', true), {
    ok: true,
    next: 'hibernating',
    command: 'hibernate_session',
    reason: 'hibernate requested',
  });
  assert.deepEqual(planRequest('hibernated', 'running', true), {
    ok: true,
    next: 'starting',
    command: 'resume_session',
    reason: 'resuming',
  });
  assert.deepEqual(planRequest('running', 'stopped', true), {
    ok: true,
    next: 'stopping',
    command: 'stop_session',
    reason: 'stop requested',
  });
  // Nothing on an agent yet: stopping is immediate and no command is sent.
  assert.deepEqual(planRequest('pending', 'stopped', false), {
    ok: true,
    next: 'stopped',
    command: undefined,
    reason: 'stopped by user',
  });
  // Asking for the current state changes nothing.
  assert.deepEqual(planRequest('running', 'running', true), {
    ok: true,
    next: 'running',
    command: undefined,
    reason: null,
  });
});

test('an impossible request lists what is allowed from the current state', () => {
  assert.deepEqual(planRequest('stopped', 'running', true), { ok: false, allowed: [] });
  assert.deepEqual(planRequest('pending', 'hibernated', false), { ok: false, allowed: ['stopped'] });
  assert.deepEqual(requestableFrom('running'), ['hibernated', 'stopped']);
  assert.deepEqual(requestableFrom('hibernated'), ['running', 'stopped']);
});
