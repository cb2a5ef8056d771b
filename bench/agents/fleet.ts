import type WebSocket from 'ws';
import { encodeFrame } from '@streamspace/protocol';
import { registerAgent } from './register.js';

// Heartbeats go out on a 50 ms tick: each agent owns one slot of the interval, so N agents send
// N/interval heartbeats a second at an even rate instead of all at once.
const TICK_MS = 50;

/** Agent i's place in the interval, in [0, 1): the base-2 radical inverse, so any first N agents
 * (the fleet grows between windows) are spread evenly over the interval, not packed at its start. */
function phase(i: number): number {
  let result = 0;
  for (let weight = 0.5, n = i; n > 0; n >>= 1, weight /= 2) if (n & 1) result += weight;
  return result;
}
// Each source address gets its own range of ephemeral ports; 4,000 agents per address stays far
// below the range's ~28,000 ports even with sockets of an earlier run still in TIME_WAIT.
const AGENTS_PER_ADDRESS = 4000;
// Every agent reports the same load, so the frame is encoded once.
const HEARTBEAT = encodeFrame({
  type: 'heartbeat',
  payload: {
    capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
    used: { sessions: 0, cpu: 0, memory_gb: 0 },
  },
});

export interface GrowResult {
  registered: number;
  failed: number;
  seconds: number;
  firstErrors: string[];
}

/** Simulated agents in this process: registers them, heartbeats for them, counts what goes wrong. */
export class Fleet {
  readonly #sockets: WebSocket[] = [];
  #buckets: WebSocket[][] = [];
  #timer: NodeJS.Timeout | undefined;
  #epoch = 0;
  #lastSlot = -1;
  #attempted = 0;
  heartbeatsSent = 0;
  heartbeatIntervalMs = 0;
  /** Close codes of sockets the control plane closed while we meant to keep them. */
  readonly unexpectedCloses = new Map<number, number>();
  /** Frames from the control plane after `registered` (errors, commands): none are expected. */
  framesReceived = 0;
  #closing = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  get size(): number {
    return this.#sockets.length;
  }

  get addressesUsed(): number {
    return Math.max(1, Math.ceil(this.#attempted / AGENTS_PER_ADDRESS));
  }

  /** Registers agents until `target` are held, at most `concurrency` handshakes in flight. */
  async grow(target: number, concurrency: number): Promise<GrowResult> {
    const started = performance.now();
    const firstErrors: string[] = [];
    let registered = 0;
    let failed = 0;
    const worker = async () => {
      while (this.#attempted < target) {
        const index = this.#attempted++;
        const address = `127.0.0.${1 + Math.floor(index / AGENTS_PER_ADDRESS)}`;
        try {
          const { socket, registered: reply } = await registerAgent(
            this.url,
            this.token,
            `bench-agent-${index}`,
            address,
          );
          this.heartbeatIntervalMs = reply.heartbeat_interval_ms;
          this.#adopt(socket);
          registered++;
        } catch (error) {
          failed++;
          if (firstErrors.length < 5) firstErrors.push(`bench-agent-${index}: ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { registered, failed, seconds: (performance.now() - started) / 1000, firstErrors };
  }

  #adopt(socket: WebSocket) {
    socket.on('message', () => this.framesReceived++);
    socket.on('error', () => undefined); // the close that follows is what gets counted
    socket.on('close', (code) => {
      if (!this.#closing) this.unexpectedCloses.set(code, (this.unexpectedCloses.get(code) ?? 0) + 1);
    });
    this.#sockets.push(socket);
    if (!this.#timer) this.#startHeartbeats();
    const slots = this.#buckets.length;
    this.#buckets[Math.floor(phase(this.#sockets.length - 1) * slots)]?.push(socket);
  }

  #startHeartbeats() {
    const slots = Math.max(1, Math.round(this.heartbeatIntervalMs / TICK_MS));
    this.#buckets = Array.from({ length: slots }, () => []);
    this.#epoch = performance.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Sends for every slot that came due since the last tick, so a late tick delays but never skips. */
  #tick() {
    const slots = this.#buckets.length;
    const now = Math.floor((performance.now() - this.#epoch) / TICK_MS);
    for (let slot = Math.max(this.#lastSlot + 1, now - slots + 1); slot <= now; slot++) {
      for (const socket of this.#buckets[slot % slots] ?? []) {
        if (socket.readyState !== socket.OPEN) continue;
        socket.send(HEARTBEAT);
        this.heartbeatsSent++;
      }
    }
    this.#lastSlot = now;
  }

  get open(): number {
    return this.#sockets.filter((s) => s.readyState === s.OPEN).length;
  }

  /** Closes every socket and waits for the closes, so the control plane records the disconnects. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    await Promise.all(
      this.#sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === socket.CLOSED) return resolve();
            socket.once('close', () => resolve());
            socket.close(1000, 'bench done');
          }),
      ),
    );
  }
}
