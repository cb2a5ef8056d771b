import type { Kysely, Transaction } from 'kysely';
import type { CommandType } from '@streamspace/protocol';
import type { Schema } from '../db/schema.js';
import { insertCommand } from '../db/queries/commands.js';

/** NOTIFY channel: payload is the agent row's uuid whose queue has something new. Every replica
 * listens; the one holding the agent's connection delivers. Sent by a trigger on agent_commands
 * (migration 0008) when the inserting transaction commits, so no caller has to remember it. */
export const COMMANDS_CHANNEL = 'streamspace_commands';

export interface NewCommand {
  agentUuid: string;
  sessionId: string;
  type: CommandType;
  data: Record<string, unknown>;
}

/**
 * The durable half of command delivery: a command is a row in agent_commands before anything is
 * sent, so a replica crash or an agent reconnect loses nothing (pending → sent → acked → completed).
 */
export class CommandDispatcher {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Inserts within the caller's transaction; the agent's replica is woken when it commits. */
  enqueueIn(trx: Transaction<Schema> | Kysely<Schema>, command: NewCommand) {
    return insertCommand(trx, command);
  }

  enqueue(command: NewCommand) {
    return insertCommand(this.db, command);
  }
}
