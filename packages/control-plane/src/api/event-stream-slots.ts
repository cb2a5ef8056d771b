import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import {
  deleteStaleEventStreams,
  releaseEventStream,
  reserveEventStream,
  touchEventStreams,
} from '../db/queries/event-streams.js';

export interface EventStreamSlotsOptions {
  db: Kysely<Schema>;
  replicaId: string;
  /** USER_MAX_EVENT_STREAMS: streams a user may hold open across all replicas. */
  limit: number;
  /**
   * How long a stream's row counts without being refreshed: the bound after which the streams of a
   * replica that died stop counting. Refreshed every third of it, so a live replica's rows never
   * lapse unless the database is unreachable for that long.
   */
  liveMs?: number;
}

export const EVENT_STREAM_LIVE_MS = 45_000;

/**
 * A user's live-update stream slots, counted in the database so the cap holds across replicas.
 * This replica keeps the ids of the streams it holds and refreshes their rows in one statement.
 */
export class EventStreamSlots {
  readonly limit: number;
  readonly liveMs: number;
  readonly #held = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: EventStreamSlotsOptions) {
    this.limit = o.limit;
    this.liveMs = o.liveMs ?? EVENT_STREAM_LIVE_MS;
  }

  start() {
    this.#timer = setInterval(() => void this.refresh().catch(() => undefined), Math.max(50, this.liveMs / 3));
    this.#timer.unref();
  }

  /** Keeps this replica's rows live and drops the rows no replica refreshed (their replica died). */
  async refresh() {
    await touchEventStreams(this.o.db, [...this.#held]);
    await deleteStaleEventStreams(this.o.db, this.liveMs);
  }

  /** A slot's id, or how many streams the user already holds when they are at the limit. */
  async reserve(userId: string): Promise<{ ok: true; id: string } | { ok: false; open: number }> {
    const id = randomUUID();
    const result = await reserveEventStream(
      this.o.db,
      { id, userId, replicaId: this.o.replicaId },
      this.limit,
      this.liveMs,
    );
    if (!result.ok) return result;
    this.#held.add(id);
    return { ok: true, id };
  }

  /** Frees the slot; if the database is unreachable the row stops counting after `liveMs`. */
  async release(id: string) {
    this.#held.delete(id);
    await releaseEventStream(this.o.db, id).catch(() => undefined);
  }

  async stop() {
    clearInterval(this.#timer);
    await Promise.all([...this.#held].map((id) => this.release(id)));
  }
}
