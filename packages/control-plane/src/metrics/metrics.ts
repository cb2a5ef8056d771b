import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/database.js';
import { countAgentsByStatus } from '../db/queries/agents.js';
import { countSessionsByState } from '../db/queries/sessions.js';
import { SESSION_STATES } from '@streamspace/protocol';

/**
 * Prometheus metrics of one control-plane process. A registry per instance (not prom-client's
 * global one) so several control planes in one test process do not collide.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'streamspace_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** How each VNC stream reached its VNC server: a tunnel the agent dialled, or handed over in-process. */
  readonly vncTunnels = new Counter({
    name: 'streamspace_vnc_tunnels_total',
    help: 'VNC streams joined to their session, by path (dialled: the agent dialled a tunnel; in_process: one hop, the agent runs in this process)',
    labelNames: ['path'] as const,
    registers: [this.registry],
  });

  readonly wsConnections = new Gauge({
    name: 'streamspace_websocket_connections',
    help: 'Open WebSocket connections by kind (agent, vnc, tunnel)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly commands = new Counter({
    name: 'streamspace_agent_commands_total',
    help: 'Agent commands finished, by type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly commandLatency = new Histogram({
    name: 'streamspace_agent_command_duration_seconds',
    help: 'Time from a command being queued to its result, by type',
    labelNames: ['type'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly heartbeatWrites = new Counter({
    name: 'streamspace_heartbeat_flushes_total',
    help: 'Batched heartbeat writes to the database (one statement each)',
    registers: [this.registry],
  });

  readonly sessionEventQueries = new Counter({
    name: 'streamspace_session_event_queries_total',
    help: 'Queries the live-update fan-out ran: one per session change, however many streams receive it',
    registers: [this.registry],
  });

  constructor(database: Database) {
    collectDefaultMetrics({ register: this.registry });
    wsConnectionsInit(this.wsConnections);
    for (const path of ['dialled', 'in_process']) this.vncTunnels.inc({ path }, 0);
    const db = database.db;
    new Gauge({
      name: 'streamspace_agents',
      help: 'Agents by status, as recorded in the database (all replicas agree)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await countAgentsByStatus(db).catch(() => undefined);
        if (!rows) return;
        this.reset();
        this.set({ status: 'online' }, 0);
        this.set({ status: 'offline' }, 0);
        for (const row of rows) this.set({ status: row.status }, Number(row.n));
      },
    });
    new Gauge({
      name: 'streamspace_sessions',
      help: 'Sessions by state, as recorded in the database',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await countSessionsByState(db).catch(() => undefined);
        if (!rows) return;
        for (const state of SESSION_STATES) this.set({ state }, 0);
        for (const row of rows) this.set({ state: row.state }, Number(row.n));
      },
    });
    if (database.kind === 'postgres') {
      new Gauge({
        name: 'streamspace_db_pool_connections',
        help: 'PostgreSQL pool connections of this replica by state (total, idle, waiting)',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const stats = database.poolStats();
          if (!stats) return;
          for (const [state, n] of Object.entries(stats)) this.set({ state }, n);
        },
      });
    } else {
      new Gauge({
        name: 'streamspace_pglite_memory_bytes',
        help: "The embedded PGlite engine's WebAssembly memory: it grows with the data and never shrinks",
        registers: [this.registry],
        collect() {
          this.set(database.engineMemoryBytes() ?? 0);
        },
      });
    }
  }
}

function wsConnectionsInit(gauge: Gauge<'kind'>) {
  for (const kind of ['agent', 'vnc', 'tunnel']) gauge.set({ kind }, 0);
}
