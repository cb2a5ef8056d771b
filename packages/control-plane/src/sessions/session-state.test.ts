import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EXPECTED_ON_AGENT_STATES,
  SESSION_STATES,
  SESSION_STATE_ATTRIBUTES,
  SLOT_HOLDING_STATES,
  holdsSlot,
  isViewable,
  viewerWaits,
} from '@streamspace/protocol';
import { PLANS, QUOTA_STATES, TRANSITIONS, canTransition, planRequest, requestableFrom } from './session-state.js';

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

test('every state has its attributes, and the groups are what they were', () => {
  for (const state of SESSION_STATES) assert.ok(SESSION_STATE_ATTRIBUTES[state], `${state} has attributes`);
  assert.deepEqual(Object.keys(SESSION_STATE_ATTRIBUTES).sort(), [...SESSION_STATES].sort());
  // Before the table these were four hand-written lists (db/queries/sessions.ts ACTIVE_STATES, the
  // session service's isTerminalForSlot, the hub's EXPECTED_ON_AGENT, the UI's ACTIONS).
  assert.deepEqual([...SLOT_HOLDING_STATES].sort(), ['hibernating', 'pending', 'running', 'starting', 'stopping']);
  assert.deepEqual(
    SESSION_STATES.filter((s) => !holdsSlot(s)).sort(),
    ['deleted', 'failed', 'hibernated', 'stopped'],
    'the states that free a slot',
  );
  assert.deepEqual([...EXPECTED_ON_AGENT_STATES].sort(), [
    'hibernated',
    'hibernating',
    'running',
    'stopped',
    'stopping',
  ]);
  assert.deepEqual(
    Object.fromEntries(SESSION_STATES.map((s) => [s, requestableFrom(s)]).filter(([, r]) => r!.length > 0)),
    {
      pending: ['stopped'],
      starting: ['stopped'],
      running: ['hibernated', 'stopped'],
      hibernated: ['running', 'stopped'],
    },
  );
  assert.deepEqual(SESSION_STATES.filter(isViewable), ['running']);
  // The viewer's old MAY_COME_BACK list: a lost stream is waited for only where it comes back.
  assert.deepEqual(SESSION_STATES.filter(viewerWaits), ['pending', 'starting', 'running']);
});

test('the table’s requestable states are exactly the requests the state machine can carry out', () => {
  for (const state of SESSION_STATES) {
    assert.deepEqual(
      Object.keys(PLANS[state] ?? {}).sort(),
      [...requestableFrom(state)].sort(),
      `${state}: PLANS and SESSION_STATE_ATTRIBUTES.requestable agree`,
    );
    // A request the table offers never asks for a transition the machine forbids.
    for (const requested of requestableFrom(state)) {
      const plan = planRequest(state, requested, true);
      assert.ok(plan.ok && canTransition(state, plan.next), `${state} → ${requested}`);
    }
  }
});

test('the slot-holding states are those with somewhere to go but failed, deleted or a resting state', () => {
  // A state holds a slot unless the session is at rest (stopped, hibernated) or finished.
  for (const state of SESSION_STATES) {
    const atRest = ['stopped', 'hibernated', 'failed', 'deleted'].includes(state);
    assert.equal(holdsSlot(state), !atRest, state);
    assert.ok(!holdsSlot(state) || QUOTA_STATES.includes(state), `${state}: holding a slot counts toward the quota`);
  }
});
