import { sql, type Kysely, type Transaction } from 'kysely';
import type { CommandType } from '@streamspace/protocol';
import type { Schema } from '../db/schema.js';
import { insertCommand } from '../db/queries/commands.js';

/** NOTIFY channel: payload is the agent row's uuid whose queue has something new. Every replica
 * listens; the one holding the agent's connection delivers. */
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

  /** Inserts within the caller's transaction; call `wake` after it commits. */
  enqueueIn(trx: Transaction<Schema> | Kysely<Schema>, command: NewCommand) {
    return insertCommand(trx, command);
  }

  async enqueue(command: NewCommand) {
    const row = await insertCommand(this.db, command);
    await this.wake(command.agentUuid);
    return row;
  }

  /** Tells whichever replica holds the agent that it has commands waiting. */
  async wake(agentUuid: string): Promise<void> {
    await sql`SELECT pg_notify(${COMMANDS_CHANNEL}, ${agentUuid})`.execute(this.db);
  }
}
