import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PasswordGate } from './password-gate.js';
import { TooManyRequestsError } from '../errors.js';

test('at most `slots` checks run at once, at most `maxWaiting` wait, the rest are told to come back', async () => {
  const gate = new PasswordGate(1, 1);
  const first = gate.hash('first-password');
  const second = gate.hash('second-password');
  await assert.rejects(gate.hash('third-password'), (error: unknown) => {
    assert.ok(error instanceof TooManyRequestsError, String(error));
    assert.match((error as Error).message, /busy checking passwords; try again/);
    return true;
  });
  const [a, b] = await Promise.all([first, second]);
  assert.equal(await gate.verify(a, 'first-password'), true);
  assert.equal(await gate.verify(b, 'first-password'), false);
  // The queue drained: the gate admits again.
  assert.equal(await gate.verify(undefined, 'anything'), false, 'an unknown user is checked against a decoy');
});
