import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentIdProblem, credentialProblem, truncateUtf8 } from './agent-identity.js';

test('agent ids follow the label-value syntax and a refusal says what is wrong', () => {
  for (const ok of ['a', 'docker-host-1', 'k8s.agent_2', 'A'.repeat(63)])
    assert.equal(agentIdProblem(ok), undefined, ok);
  assert.match(agentIdProblem('')!, /empty/);
  assert.match(agentIdProblem('a'.repeat(64))!, /64 characters long; at most 63/);
  assert.match(agentIdProblem('агент-1')!, /only ASCII letters/);
  assert.match(agentIdProblem('-lead')!, /start and end/);
  assert.match(agentIdProblem('has space')!, /only ASCII letters/);
});

test('credentials must be long and plain', () => {
  assert.equal(credentialProblem(`ssa_${'x'.repeat(43)}`), undefined);
  assert.match(credentialProblem('short')!, /at least 32/);
  assert.match(credentialProblem(`${'x'.repeat(40)} `)!, /only letters/);
});

test('truncateUtf8 never splits a character and stays within the limit', () => {
  const id = 'агент'.repeat(40);
  const cut = truncateUtf8(`replaced by a newer connection for agent ${id}`, 123);
  assert.ok(Buffer.byteLength(cut) <= 123, `${Buffer.byteLength(cut)} bytes`);
  assert.ok(!cut.includes('\uFFFD'));
  assert.ok(cut.endsWith('…'));
  assert.equal(truncateUtf8('short', 123), 'short');
});
