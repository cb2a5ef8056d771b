import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTakeover, type OrphanedSession, type PoolMember } from './takeover-plan.js';

const b: PoolMember = { id: 'uuid-b', agentId: 'docker-b', activeSessions: 0 };
const c: PoolMember = { id: 'uuid-c', agentId: 'docker-c', activeSessions: 1 };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const session = (id: string, state: OrphanedSession['state'], commands: OrphanedSession['commands'] = []) => ({
  id,
  state,
  commands,
});

test('running sessions are adopted by the least loaded pool member, spread as the plan goes', () => {
  const moves = planTakeover(
    'docker-a',
    [session('s1', 'running'), session('s2', 'running'), session('s3', 'running')],
    [b, c],
  );
  assert.deepEqual(
    moves.map((m) => [m.sessionId, m.to.agentId, m.send.map((s) => [s.type, s.data])]),
    [
      ['s1', 'docker-b', [['adopt_session', { from_agent_id: 'docker-a' }]]],
      // b now has 1, like c: the tie goes to the first AGENT_ID, then c is the least loaded.
      ['s2', 'docker-b', [['adopt_session', { from_agent_id: 'docker-a' }]]],
      ['s3', 'docker-c', [['adopt_session', { from_agent_id: 'docker-a' }]]],
    ],
  );
});

test('a command in flight on the dead agent is re-sent in its place in line; tunnels are dropped', () => {
  const start = { id: 'cmd-start', type: 'start_session', data: { user: 'alice' }, createdAt: at(1) };
  const tunnel = { id: 'cmd-tunnel', type: 'open_tunnel', data: { tunnel_id: 't' }, createdAt: at(2) };
  const stop = { id: 'cmd-stop', type: 'stop_session', data: {}, createdAt: at(3) };
  const [move] = planTakeover('docker-a', [session('s1', 'starting', [stop, tunnel, start])], [b]);
  assert.deepEqual(move!.cancel, ['cmd-start', 'cmd-tunnel', 'cmd-stop']);
  assert.deepEqual(move!.send, [
    { type: 'start_session', data: { user: 'alice' }, createdAt: at(1) },
    { type: 'stop_session', data: {}, createdAt: at(3) },
  ]);
});

test('each state without a command in flight gets what finishes it on the new owner', () => {
  const moves = planTakeover(
    'docker-a',
    ['starting', 'stopping', 'hibernating', 'hibernated', 'stopped', 'failed', 'pending'].map((state, i) =>
      session(`s${i}`, state as OrphanedSession['state']),
    ),
    [b],
  );
  assert.deepEqual(
    moves.map((m) => m.send.map((s) => s.type)),
    [['adopt_session'], ['stop_session'], ['hibernate_session'], [], [], [], []],
  );
});

test('sessions that hold no slot (stopped, hibernated) do not count towards a member’s load', () => {
  const moves = planTakeover(
    'docker-a',
    [session('s1', 'hibernated'), session('s2', 'stopped'), session('s3', 'running')],
    [b, c],
  );
  assert.deepEqual(
    moves.map((m) => m.to.agentId),
    ['docker-b', 'docker-b', 'docker-b'],
  );
});

test('a deleted session whose delete never ran is deleted by the new owner', () => {
  const del = { id: 'cmd-del', type: 'delete_session', data: {}, createdAt: at(5) };
  const [move] = planTakeover('docker-a', [session('s1', 'deleted', [del])], [b]);
  assert.deepEqual(
    move!.send.map((s) => s.type),
    ['delete_session'],
  );
  assert.deepEqual(move!.cancel, ['cmd-del']);
});

test('without an online pool member nothing moves', () => {
  assert.deepEqual(planTakeover('docker-a', [session('s1', 'running')], []), []);
});
