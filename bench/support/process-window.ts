import { getHeapSpaceStatistics } from 'node:v8';
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** What one process did over a measurement window. */
export interface WindowStats {
  seconds: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** User + system CPU time; divided by `seconds` it is the share of one core. */
  cpuSeconds: number;
  rssMaxMiB: number;
  rssEndMiB: number;
}

// The delay histogram samples with a timer of this period and records the whole period, so an idle
// loop reads ~10 ms; the lag reported is what exceeds the period.
const RESOLUTION_MS = 10;
const RSS_SAMPLE_MS = 250;
const MIB = 1024 * 1024;

/** Measures the calling process between start() and stop(): event-loop lag, CPU time, peak RSS. */
export class ProcessWindow {
  readonly #histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  #startedAt = 0;
  #cpu: NodeJS.CpuUsage | undefined;
  #rssMax = 0;
  #sampler: NodeJS.Timeout | undefined;

  start(): void {
    this.#histogram.reset();
    this.#histogram.enable();
    this.#startedAt = performance.now();
    this.#cpu = process.cpuUsage();
    this.#rssMax = process.memoryUsage.rss();
    this.#sampler = setInterval(
      () => (this.#rssMax = Math.max(this.#rssMax, process.memoryUsage.rss())),
      RSS_SAMPLE_MS,
    );
  }

  stop(): WindowStats {
    this.#histogram.disable();
    clearInterval(this.#sampler);
    const cpu = process.cpuUsage(this.#cpu);
    const rss = process.memoryUsage.rss();
    const lag = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    return {
      seconds: (performance.now() - this.#startedAt) / 1000,
      lagP50Ms: lag(this.#histogram.percentile(50)),
      lagP99Ms: lag(this.#histogram.percentile(99)),
      lagMaxMs: lag(this.#histogram.max),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rssMaxMiB: Math.max(this.#rssMax, rss) / MIB,
      rssEndMiB: rss / MIB,
    };
  }
}

/** Where a process's memory is, after a full collection, and how many descriptors it holds. */
export interface MemorySample {
  rssBytes: number;
  /** Live JavaScript objects (V8 heap, used). */
  heapBytes: number;
  /** V8's young generation as committed: it grows with the allocation rate up to a fixed bound
   * (--max-semi-space-size), not with what is live, and stays grown after a collection. */
  youngBytes: number;
  /** Buffers and other memory V8 objects hold outside the heap. */
  externalBytes: number;
  /** The embedded database engine's WebAssembly memory (PGlite; 0 on PostgreSQL), which RSS includes. */
  engineBytes: number;
  openFds: number;
  /** The soft RLIMIT_NOFILE: a relay holds two descriptors per stream. */
  fdLimit: number;
}

/** Needs --expose-gc (BenchChild starts its children so): garbage must not count as a stream's. */
export function memorySample(engineBytes = 0): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  const limit = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return {
    rssBytes: usage.rss,
    heapBytes: usage.heapUsed,
    youngBytes: getHeapSpaceStatistics()
      .filter((space) => space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
      .reduce((sum, space) => sum + space.space_size, 0),
    externalBytes: usage.external,
    engineBytes,
    openFds: readdirSync('/proc/self/fd').length,
    fdLimit: limit ? Number(limit[1]) : Number.MAX_SAFE_INTEGER,
  };
}
