import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import type { MemorySample, WindowStats } from './process-window.js';
import type { Ready, Reply, Request } from './ipc.js';

// PGlite start-up and migrations take over a minute on a loaded 2-core machine.
const READY_TIMEOUT_MS = 180_000;

/**
 * A server under measurement in its own process, so its CPU, RSS and event-loop lag are its own and
 * not the load generator's. Its stdout and stderr go to `logFile`.
 */
export class BenchChild {
  #nextId = 1;
  readonly #pending = new Map<number, (reply: Reply) => void>();
  readonly #exited: Promise<number | null>;

  private constructor(
    readonly process: ChildProcess,
    readonly url: string,
    readonly detail: string,
    readonly logFile: string,
  ) {
    process.on('message', (reply: Reply) => this.#pending.get(reply.id)?.(reply));
    this.#exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  static async start(script: string, env: NodeJS.ProcessEnv, logFile: string): Promise<BenchChild> {
    const log = openSync(logFile, 'a');
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each child on exit, to find where its time goes.
    const profile = process.env.BENCH_CPU_PROF;
    // --expose-gc: see control-plane-process.ts.
    const execArgv = ['--expose-gc', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])];
    const child = fork(script, [], { env, execArgv, stdio: ['ignore', log, log, 'ipc'] });
    closeSync(log);
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${script} not ready within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      child.once('message', (message: Ready) => (clearTimeout(timer), resolve(message)));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited with ${code} before ready; its log:\n${tail(logFile)}`));
      });
    });
    return new BenchChild(child, ready.url, ready.detail, logFile);
  }

  #request(cmd: Request['cmd']): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, (reply) => (this.#pending.delete(id), resolve(reply)));
      this.process.send({ id, cmd } satisfies Request);
    });
  }

  async windowStart(): Promise<void> {
    await this.#request('window-start');
  }

  async windowEnd(): Promise<WindowStats> {
    const reply = await this.#request('window-end');
    if (!reply.stats) throw new Error('child answered window-end without stats');
    return reply.stats;
  }

  async memory(): Promise<MemorySample> {
    const reply = await this.#request('memory');
    if (!reply.memory) throw new Error('child answered memory without a sample');
    return reply.memory;
  }

  /** Asks the child to stop cleanly; kills it (this child only) if it has not exited in 30 s. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    void this.#request('stop');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 30_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
