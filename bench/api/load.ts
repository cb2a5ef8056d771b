import autocannon from 'autocannon';
import type { BenchChild } from '../support/bench-child.js';
import type { WindowStats } from '../support/process-window.js';

export interface LoadResult {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Non-2xx answers, errors and timeouts: any makes the row's figures suspect. */
  failures: number;
  bodyBytes: number;
  server: WindowStats;
}

/** Runs autocannon from this process against one server while that server measures itself. */
export async function load(
  server: BenchChild,
  path: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const url = `${server.url}${path}`;
  const bodyBytes = (await (await fetch(url, { headers })).arrayBuffer()).byteLength;
  await server.windowStart();
  const result = await autocannon({ url, connections, duration: seconds, headers });
  const stats = await server.windowEnd();
  return {
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    bodyBytes,
    server: stats,
  };
}
