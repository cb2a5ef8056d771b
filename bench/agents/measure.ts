import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchChild } from '../support/bench-child.js';
import { readCounter } from '../support/http.js';
import { ProcessWindow, type WindowStats } from '../support/process-window.js';
import type { Fleet } from './fleet.js';

export interface Measurement {
  agents: number;
  server: WindowStats;
  /** This process (the agents' side), to show whether the load generator kept up. */
  client: WindowStats;
  heartbeatWritesPerSecond: number;
  heartbeatsPerSecond: number;
}

const FLUSHES = 'streamspace_heartbeat_flushes_total';

/**
 * One window of `seconds` over the fleet as it stands. The /metrics scrapes (which run queries of
 * their own) happen just outside the server's window, so they do not count as its load.
 */
export async function measureWindow(cp: BenchChild, fleet: Fleet, seconds: number): Promise<Measurement> {
  const client = new ProcessWindow();
  const flushesBefore = await readCounter(cp.url, FLUSHES);
  const sentBefore = fleet.heartbeatsSent;
  client.start();
  await cp.windowStart();
  await sleep(seconds * 1000);
  const server = await cp.windowEnd();
  const clientStats = client.stop();
  const sent = fleet.heartbeatsSent - sentBefore;
  const flushes = (await readCounter(cp.url, FLUSHES)) - flushesBefore;
  return {
    agents: fleet.open,
    server,
    client: clientStats,
    heartbeatWritesPerSecond: flushes / server.seconds,
    heartbeatsPerSecond: sent / clientStats.seconds,
  };
}
