import { sql, type Kysely, type Transaction } from 'kysely';
import type { CommandType } from '@streamspace/protocol';
import type { AgentCommand, CommandStatus, Schema } from '../schema.js';

type Db = Kysely<Schema> | Transaction<Schema>;

/** `createdAt`: a command re-sent to another agent keeps its place in line behind those before it. */
export function insertCommand(
  db: Db,
  command: {
    agentUuid: string;
    sessionId: string;
    type: CommandType;
    data: Record<string, unknown>;
    createdAt?: Date | null;
  },
): Promise<AgentCommand> {
  return db
    .insertInto('agent_commands')
    .values({
      agent_id: command.agentUuid,
      session_id: command.sessionId,
      command_type: command.type,
      command_data: JSON.stringify(command.data),
      ...(command.createdAt ? { created_at: command.createdAt } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Marks the agent's undelivered commands as sent and returns them, oldest first. With
 * `includeUnacked` (after a reconnect) commands sent but never acknowledged go again: the agent
 * dedupes by command id, so at-least-once delivery becomes exactly-once execution.
 */
export function claimCommandsForDelivery(db: Db, agentUuid: string, includeUnacked: boolean) {
  const statuses: CommandStatus[] = includeUnacked ? ['pending', 'sent'] : ['pending'];
  return db
    .updateTable('agent_commands')
    .set({ status: 'sent', sent_at: sql<Date>`NOW()`, attempts: sql<number>`attempts + 1` })
    .where('agent_id', '=', agentUuid)
    .where('status', 'in', statuses)
    .returningAll()
    .execute()
    .then((rows) => rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime()));
}

export function markCommandAcked(db: Db, commandId: string, agentUuid: string) {
  return db
    .updateTable('agent_commands')
    .set({ status: 'acked', acked_at: sql<Date>`NOW()` })
    .where('id', '=', commandId)
    .where('agent_id', '=', agentUuid)
    .where('status', 'in', ['pending', 'sent'])
    .returningAll()
    .executeTakeFirst();
}

/** Records the outcome once; a repeated result for a finished command changes nothing. */
export function completeCommand(
  db: Db,
  commandId: string,
  agentUuid: string,
  outcome: { ok: boolean; result: Record<string, unknown> },
) {
  return db
    .updateTable('agent_commands')
    .set({
      status: outcome.ok ? 'completed' : 'failed',
      result: JSON.stringify(outcome.result),
      completed_at: sql<Date>`NOW()`,
      acked_at: sql<Date>`COALESCE(acked_at, NOW())`,
    })
    .where('id', '=', commandId)
    .where('agent_id', '=', agentUuid)
    .where('status', 'in', ['pending', 'sent', 'acked'])
    .returningAll()
    .executeTakeFirst();
}

export function findCommand(db: Db, commandId: string) {
  return db.selectFrom('agent_commands').selectAll().where('id', '=', commandId).executeTakeFirst();
}

/** Cancels a session's commands that have not reached the agent (a stop overtaking its start). */
export function cancelUndeliveredCommands(db: Db, sessionId: string, reason: string) {
  return db
    .updateTable('agent_commands')
    .set({ status: 'cancelled', result: JSON.stringify({ error: reason }), completed_at: sql<Date>`NOW()` })
    .where('session_id', '=', sessionId)
    .where('status', '=', 'pending')
    .returning(['id', 'command_type'])
    .execute();
}

export function listSessionCommands(db: Db, sessionId: string) {
  return db
    .selectFrom('agent_commands')
    .selectAll()
    .where('session_id', '=', sessionId)
    .orderBy('created_at')
    .execute();
}
