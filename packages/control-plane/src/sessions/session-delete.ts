import type { Kysely, Transaction } from 'kysely';
import type { Schema, Session } from '../db/schema.js';
import { updateSessionState } from '../db/queries/sessions.js';
import { cancelUndeliveredCommands } from '../db/queries/commands.js';
import type { CommandDispatcher } from '../dispatcher/command-dispatcher.js';

/**
 * Marks a session deleted within `trx`, guarded on the state it was read in (and, for a pool drain,
 * on its still being unclaimed), and tells its agent to remove the container unless the start never
 * left the queue. Returns false when the session changed meanwhile; nothing is written then.
 */
export async function markSessionDeleted(
  trx: Transaction<Schema> | Kysely<Schema>,
  dispatcher: CommandDispatcher,
  session: Pick<Session, 'id' | 'state' | 'agent_id'>,
  reason: string,
  guard: { warmPool?: boolean } = {},
): Promise<boolean> {
  const updated = await updateSessionState(
    trx,
    session.id,
    session.state,
    { state: 'deleted', state_reason: reason },
    guard,
  );
  if (!updated) return false;
  const cancelled = await cancelUndeliveredCommands(trx, session.id, 'session deleted');
  const neverStarted = session.state === 'pending' && cancelled.some((c) => c.command_type === 'start_session');
  if (session.agent_id && !neverStarted) {
    await dispatcher.enqueueIn(trx, {
      agentUuid: session.agent_id,
      sessionId: session.id,
      type: 'delete_session',
      data: {},
    });
  }
  return true;
}
