import type { Heartbeat } from '@streamspace/protocol';
import type { HeartbeatRow } from '../db/queries/agents.js';

/**
 * Heartbeats are kept in memory and written in one batch per flush: 10,000 agents at one heartbeat
 * every 10 s become one UPDATE a second, not 1,000. Only the latest heartbeat per agent matters.
 */
export class HeartbeatBuffer {
  #latest = new Map<string, HeartbeatRow>();

  record(agentUuid: string, connectionId: string, heartbeat: Heartbeat, at = new Date()): void {
    this.#latest.set(agentUuid, { agentUuid, connectionId, at, capacity: heartbeat.capacity, used: heartbeat.used });
  }

  /** Drops what a closed connection left; a newer connection's heartbeat for the agent stays. */
  forget(agentUuid: string, connectionId: string): void {
    if (this.#latest.get(agentUuid)?.connectionId === connectionId) this.#latest.delete(agentUuid);
  }

  get size(): number {
    return this.#latest.size;
  }

  /** Writes what has accumulated; on failure the rows go back unless newer ones arrived meanwhile. */
  async flush(write: (rows: HeartbeatRow[]) => Promise<unknown>): Promise<number> {
    if (this.#latest.size === 0) return 0;
    const rows = [...this.#latest.values()];
    this.#latest.clear();
    try {
      await write(rows);
      return rows.length;
    } catch (error) {
      for (const row of rows) if (!this.#latest.has(row.agentUuid)) this.#latest.set(row.agentUuid, row);
      throw error;
    }
  }
}
