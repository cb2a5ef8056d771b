import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.js';
import {
  deleteViewer,
  insertViewer,
  recordActivity,
  refreshViewers,
  type ViewerRow,
} from '../db/queries/vnc-viewers.js';

/** vnc_viewers rows are refreshed this often; a row lapses after VIEWER_LIVE_MS (three missed). */
export const VIEWER_REFRESH_MS = 15_000;

/**
 * This replica's share of `vnc_viewers` and `sessions.last_activity_at`: a row per viewer while it
 * is connected, and input written coarsely. The input path is the relay's hot path, so a key press
 * costs a map lookup here; the database sees at most one write per session per `activityWriteMs`
 * from this replica (and recordActivity's guard keeps it so across replicas).
 */
export class ViewerPresence {
  readonly #viewers = new Set<string>();
  /** Per session: when this replica last wrote (or tried to write) its activity. */
  readonly #activityWritten = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly logger: Logger,
    readonly activityWriteMs: number,
  ) {
    this.#timer = setInterval(() => void this.#refresh(), VIEWER_REFRESH_MS);
    this.#timer.unref();
  }

  async join(viewer: ViewerRow) {
    await insertViewer(this.db, viewer);
    this.#viewers.add(viewer.id);
  }

  async leave(id: string, sessionId: string) {
    if (!this.#viewers.delete(id)) return;
    await deleteViewer(this.db, id, sessionId).catch((error: unknown) =>
      this.logger.warn({ err: error, sessionId }, 'viewer row not deleted; it lapses by itself'),
    );
  }

  /** A key or pointer event from a control viewer of `sessionId`. */
  input(sessionId: string) {
    const now = Date.now();
    if (now - (this.#activityWritten.get(sessionId) ?? 0) < this.activityWriteMs) return;
    this.#activityWritten.set(sessionId, now);
    void recordActivity(this.db, sessionId, this.activityWriteMs).catch((error: unknown) => {
      this.#activityWritten.delete(sessionId); // try again with the next input
      this.logger.warn({ err: error, sessionId }, 'session activity not recorded');
    });
  }

  /** Forgets a session's throttle once none of its viewers is here (keeps the map small). */
  forget(sessionId: string) {
    this.#activityWritten.delete(sessionId);
  }

  async #refresh() {
    await refreshViewers(this.db, [...this.#viewers]).catch((error: unknown) =>
      this.logger.warn({ err: error }, 'viewer rows not refreshed'),
    );
  }

  stop() {
    clearInterval(this.#timer);
  }
}
