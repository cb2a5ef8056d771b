import { fixed, int, table } from '../support/report.js';
import type { GrowResult } from './fleet.js';
import type { Measurement } from './measure.js';
import type { OnlineCheck } from './online.js';

export interface Row {
  measurement: Measurement;
  grow?: GrowResult;
  online?: OnlineCheck;
}

const GOAL_AGENTS = 10_000;
const GOAL_LAG_P99_MS = 50;

/** The README table: the idle baseline first, then each fleet size, all from one process. */
export function agentsTable(baseline: Measurement, rows: Row[]): string {
  const cells = (row: Row): string[] => {
    const m = row.measurement;
    const cpu = (100 * m.server.cpuSeconds) / m.server.seconds;
    const rssDelta = m.server.rssMaxMiB - baseline.server.rssMaxMiB;
    return [
      row.grow ? int(m.agents) : '0 (idle baseline)',
      row.grow ? int(row.grow.registered / row.grow.seconds) : '–',
      fixed(m.server.lagP50Ms, 2),
      fixed(m.server.lagP99Ms, 2),
      fixed(m.server.lagMaxMs, 1),
      fixed(cpu, 1),
      row.grow ? `${int(m.server.rssMaxMiB)} (${rssDelta < 0 ? '' : '+'}${int(rssDelta)})` : int(m.server.rssMaxMiB),
      fixed(m.heartbeatWritesPerSecond, 2),
      int(m.heartbeatsPerSecond),
      row.online ? `${int(row.online.online)} / ${int(m.agents)}` : '–',
    ];
  };
  return table(
    [
      'agents',
      'registrations/s',
      'loop lag p50 (ms)',
      'loop lag p99 (ms)',
      'loop lag max (ms)',
      'CPU (% of a core)',
      'peak RSS MiB (vs idle)',
      'heartbeat DB writes/s',
      'heartbeats/s in',
      'online after',
    ],
    ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    [cells({ measurement: baseline }), ...rows.map(cells)],
  );
}

/** Whether the run meets the goal; only a measured 10,000-agent window can meet it. */
export function goalLine(baseline: Measurement, rows: Row[]): string {
  const goal = `Goal "${int(GOAL_AGENTS)} agents with lag p99 under ${GOAL_LAG_P99_MS} ms on one process"`;
  const at = rows.find((r) => r.measurement.agents >= GOAL_AGENTS);
  if (!at) return `${goal}: not measured (largest window had ${int(rows.at(-1)?.measurement.agents ?? 0)} agents).`;
  const p99 = at.measurement.server.lagP99Ms;
  const verdict = p99 < GOAL_LAG_P99_MS ? 'met' : 'NOT met';
  return (
    `${goal}: ${verdict}, p99 ${fixed(p99, 2)} ms with ${int(at.measurement.agents)} agents ` +
    `(idle baseline ${fixed(baseline.server.lagP99Ms, 2)} ms).`
  );
}
