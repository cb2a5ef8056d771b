import assert from 'node:assert/strict';
import type { AgentSimulator } from './agent-simulator.js';
import type { TestControlPlane } from './control-plane.js';
import { waitFor } from './wait-for.js';

/**
 * Starts a session from `template` as the control plane's current caller and has the simulated
 * agent take it to `outcome` the way a real agent does (ack the start, report the state); resolves
 * once the API shows it. Returns the session id.
 */
export async function simulatedSession(
  cp: TestControlPlane,
  agent: AgentSimulator,
  template: string,
  outcome: { state: 'running' } | { state: 'failed'; reason: string },
): Promise<string> {
  const created = await cp.api('POST', '/api/v1/sessions', { body: { template } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const command = await agent.next('command', (m) => m.payload.session_id === id && m.payload.type === 'start_session');
  agent.send('command_ack', { command_id: command.payload.command_id });
  if (outcome.state === 'running') {
    agent.reportStatus(id, 'running');
    agent.send('command_result', { command_id: command.payload.command_id, ok: true });
  } else {
    agent.reportStatus(id, 'failed', { reason: outcome.reason });
    agent.send('command_result', { command_id: command.payload.command_id, ok: false, error: outcome.reason });
  }
  await waitFor(
    `session ${id} ${outcome.state}`,
    async () => (await cp.api('GET', `/api/v1/sessions/${id}`)).body.state === outcome.state,
  );
  return id;
}
