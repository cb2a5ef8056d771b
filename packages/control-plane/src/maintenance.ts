import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from './db/schema.js';
import { flushHeartbeats, markAgentsOffline } from './db/queries/agents.js';
import { isDatabaseUnavailable } from './errors.js';
import { deleteExpiredTickets } from './db/queries/vnc-tickets.js';
import { deleteSpentFileDownloadTickets } from './db/queries/file-download-tickets.js';
import { deleteStaleTunnels } from './db/queries/vnc-tunnels.js';
import { closeEndedShareViewers } from './sessions/share-expiry.js';
import { pruneAuditLog, pruneFinishedCommands, pruneLoginFailures } from './db/queries/retention.js';
import type { AgentHub } from './hub/agent-hub.js';
import type { Metrics } from './metrics/metrics.js';
import type { Scheduler } from './scheduler/scheduler.js';
import type { SessionService } from './sessions/session-service.js';
import type { PoolTakeover } from './pools/pool-takeover.js';
import type { IdlePolicy } from './sessions/idle-policy.js';
import { deleteStaleViewers } from './db/queries/vnc-viewers.js';
import type { WarmPoolReconciler } from './warm-pools/warm-pool-reconciler.js';

export interface MaintenanceOptions {
  db: Kysely<Schema>;
  hub: AgentHub;
  sessions: SessionService;
  scheduler: Scheduler;
  takeover: PoolTakeover;
  metrics: Metrics;
  logger: Logger;
  heartbeatTimeoutMs: number;
  sessionStartTimeoutMs: number;
  /** How often tables that only grow are pruned (default a minute; the first tick prunes). */
  pruneIntervalMs?: number;
  /** AUDIT_RETENTION: audit entries older than this are pruned; 0 keeps them forever. */
  auditRetentionMs?: number;
  /** SESSION_IDLE_TIMEOUT and SESSION_MAX_LIFETIME (issue 13). */
  idlePolicy?: IdlePolicy;
  /** Templates' warm pools (issue 16): topped up, drained, failures backed off. */
  warmPools?: WarmPoolReconciler;
}

/**
 * Lets sockets be read between steps. An embedded PGlite runs each query on this thread, and a
 * chain of awaited queries never returns to the event loop, so a whole pass (a dozen queries) would
 * hold every VNC stream and key press of this replica until it ends; with a turn between steps,
 * they wait for one step at most.
 */
const ioTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The periodic work every replica does: write buffered heartbeats, apply the offline rule, hand an
 * offline agent's sessions to its pool, fail sessions past their start timeout, place pending
 * sessions, keep templates' warm pools at their size, re-deliver anything missed, prune expired
 * tickets (VNC, download links), old login failures, finished commands and audit entries past
 * AUDIT_RETENTION, drop viewer rows of dead replicas, close viewers
 * of expired shares, hibernate idle sessions and stop those past their lifetime. All of it
 * is idempotent, so replicas running it at once agree.
 */
export class Maintenance {
  readonly intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #databaseDown = false;
  #lastPrune = 0;

  constructor(private readonly o: MaintenanceOptions) {
    // At most 1 s (one heartbeat write per second per replica), and a quarter of the timeout so a
    // live agent's recorded heartbeat is never older than interval + flush < timeout.
    this.intervalMs = Math.max(50, Math.min(1000, Math.floor(o.heartbeatTimeoutMs / 4)));
  }

  start() {
    this.#timer = setInterval(() => void this.tick(), this.intervalMs);
    this.#timer.unref();
  }

  tick(): Promise<void> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run() {
    const { db, hub, sessions, scheduler, metrics, logger } = this.o;
    try {
      if ((await hub.heartbeats.flush((rows) => flushHeartbeats(db, rows))) > 0) metrics.heartbeatWrites.inc();
      for (const agent of await markAgentsOffline(db, this.o.heartbeatTimeoutMs)) {
        logger.warn(
          { agentId: agent.agent_id },
          `Agent offline: no heartbeat for ${this.o.heartbeatTimeoutMs / 1000}s`,
        );
      }
      await ioTurn();
      await this.o.takeover.run();
      await ioTurn();
      await sessions.failTimedOut(this.o.sessionStartTimeoutMs);
      await ioTurn();
      await this.o.warmPools?.run();
      await ioTurn();
      await scheduler.placePending();
      await ioTurn();
      await deleteExpiredTickets(db);
      await deleteSpentFileDownloadTickets(db);
      await ioTurn();
      await deleteStaleTunnels(db);
      await ioTurn();
      await closeEndedShareViewers(db);
      await ioTurn();
      await deleteStaleViewers(db);
      await ioTurn();
      await this.o.idlePolicy?.run();
      await ioTurn();
      if (Date.now() - this.#lastPrune >= (this.o.pruneIntervalMs ?? 60_000)) {
        this.#lastPrune = Date.now();
        const pruned = {
          login_failures: await pruneLoginFailures(db),
          agent_commands: await pruneFinishedCommands(db),
          audit_log: await pruneAuditLog(db, this.o.auditRetentionMs ?? 0),
        };
        if (pruned.login_failures + pruned.agent_commands + pruned.audit_log > 0)
          logger.debug({ pruned }, 'old rows pruned');
      }
      await hub.sweep();
      if (this.#databaseDown) logger.info('database reachable again; maintenance resumed');
      this.#databaseDown = false;
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        if (!this.#databaseDown)
          logger.error({ err: error }, 'database unreachable; maintenance paused until it returns');
        this.#databaseDown = true;
      } else {
        logger.error({ err: error }, 'maintenance step failed');
      }
    }
  }

  async stop() {
    clearInterval(this.#timer);
    await this.#running;
  }
}
