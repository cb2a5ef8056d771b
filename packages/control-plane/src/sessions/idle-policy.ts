import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema, Session } from '../db/schema.js';
import { formatLifetime } from '../config/settings.js';
import { closeViewers } from '../vnc/viewer-close.js';
import { listViewers } from '../db/queries/vnc-viewers.js';
import type { SessionService } from './session-service.js';

/** NOTIFY channel for "this session hibernates soon"; payload JSON {session_id, user_id,
 * viewer_user_ids, hibernate_at, reason}. */
export const IDLE_WARNING_CHANNEL = 'streamspace_idle_warning';
/** Viewers are warned this long before the idle timeout (half the timeout when that is shorter). */
export const IDLE_WARNING_MS = 60_000;

export interface IdlePolicyOptions {
  db: Kysely<Schema>;
  sessions: SessionService;
  logger: Logger;
  /** SESSION_IDLE_TIMEOUT; 0: off unless a template sets its own. */
  idleTimeoutMs: number;
  /** SESSION_MAX_LIFETIME; 0: off unless a template sets its own. */
  maxLifetimeMs: number;
}

/**
 * How coarsely input is written: once a minute, or a tenth of a shorter SESSION_IDLE_TIMEOUT (tests
 * run with seconds), so the recorded activity lags the real one by a small part of the timeout.
 */
export function activityWriteMs(idleTimeoutMs: number): number {
  return idleTimeoutMs === 0 ? 60_000 : Math.max(100, Math.min(60_000, Math.floor(idleTimeoutMs / 10)));
}

type Candidate = Session & { idle_ms: number; life_ms: number; idle_for_ms: number; age_ms: number };

/** "idle for 30m": the reason a session hibernated, in the timeout's own terms. */
export const idleReason = (idleMs: number) => `idle for ${formatLifetime(idleMs)}`;
export const lifetimeReason = (lifeMs: number) => `reached its maximum lifetime of ${formatLifetime(lifeMs)}`;

/**
 * Idle hibernation and maximum lifetimes, run by every replica's maintenance loop. A running
 * session is idle since the latest of: input from a viewer (last_activity_at), its last viewer
 * leaving (last_viewer_left_at), and it becoming running (state_changed_at). Past its timeout it
 * is hibernated through SessionService.applyPolicy, the path a user's request takes, guarded on
 * 'running' so only one replica acts; that replica closes the session's viewers on every replica.
 * The lifetime counts from creation and stops a running or hibernated session.
 */
export class IdlePolicy {
  /** Whether templates carry idle_timeout_s/max_lifetime_s (migration 0018, written by the sharing
   * work): read once, so this runs with or without it. */
  #overrides: boolean | undefined;
  /** Per session, the deadline last seen announced (by any replica): skips the upsert each tick. */
  readonly #warned = new Map<string, number>();

  constructor(private readonly o: IdlePolicyOptions) {}

  async run(): Promise<void> {
    const seen = new Set<string>();
    for (const s of await this.#candidates()) {
      seen.add(s.id);
      if (s.life_ms > 0 && s.age_ms >= s.life_ms) {
        await this.#apply(s, 'stopped', lifetimeReason(s.life_ms), 'session.lifetime_stop', 'stopped');
      } else if (s.state === 'running' && s.idle_ms > 0 && s.idle_for_ms >= s.idle_ms) {
        await this.#apply(s, 'hibernated', idleReason(s.idle_ms), 'session.idle_hibernate', 'hibernated');
      } else if (s.state === 'running' && s.idle_ms > 0) {
        await this.#warn(s);
      }
    }
    for (const id of this.#warned.keys()) if (!seen.has(id)) this.#warned.delete(id);
  }

  async #apply(s: Candidate, to: 'stopped' | 'hibernated', reason: string, action: string, verb: string) {
    if (!(await this.o.sessions.applyPolicy(s, to, reason, action))) return;
    this.#warned.delete(s.id);
    await closeViewers(this.o.db, { sessionId: s.id, reason: `session ${verb}: ${reason}` });
  }

  async #warn(s: Candidate) {
    // From the database's timestamps, so every replica computes the same instant.
    const since = Math.max(
      ...[s.last_activity_at, s.last_viewer_left_at, s.state_changed_at].map((at) => (at ? at.getTime() : 0)),
    );
    const deadline = new Date(since + s.idle_ms);
    // Activity moves the deadline on; the same deadline is announced once, here and on every replica.
    if (this.#warned.get(s.id) === deadline.getTime()) return;
    const claimed = await this.o.db
      .insertInto('idle_warnings')
      .values({ session_id: s.id, deadline })
      .onConflict((oc) =>
        oc.column('session_id').doUpdateSet({ deadline }).where('idle_warnings.deadline', '<>', deadline),
      )
      .returning('session_id')
      .executeTakeFirst();
    this.#warned.set(s.id, deadline.getTime()); // announced, here or by another replica
    if (!claimed) return;
    // A share's guests watching now are warned too (their live-update stream is not the owner's).
    const viewers = await listViewers(this.o.db, s.id);
    const payload = JSON.stringify({
      session_id: s.id,
      user_id: s.user_id,
      viewer_user_ids: [...new Set(viewers.map((v) => v.user_id))],
      hibernate_at: deadline.toISOString(),
      reason: idleReason(s.idle_ms),
    });
    await this.o.db
      .selectNoFrom((eb) => eb.fn<string>('pg_notify', [eb.val(IDLE_WARNING_CHANNEL), eb.val(payload)]).as('n'))
      .execute();
  }

  /** Running sessions inside their warning window or past a limit, and hibernated ones past their lifetime. */
  async #candidates(): Promise<Candidate[]> {
    this.#overrides ??= await this.#templatesHaveOverrides();
    const idle = this.#overrides
      ? sql`COALESCE(t.idle_timeout_s * 1000.0, ${this.o.idleTimeoutMs})`
      : sql`${this.o.idleTimeoutMs}::double precision`;
    const life = this.#overrides
      ? sql`COALESCE(t.max_lifetime_s * 1000.0, ${this.o.maxLifetimeMs})`
      : sql`${this.o.maxLifetimeMs}::double precision`;
    if (!this.#overrides && this.o.idleTimeoutMs === 0 && this.o.maxLifetimeMs === 0) return [];
    const result = await sql<Candidate>`
      SELECT * FROM (
        SELECT s.*, (${idle})::double precision AS idle_ms, (${life})::double precision AS life_ms,
          EXTRACT(EPOCH FROM NOW() - GREATEST(s.last_activity_at, s.last_viewer_left_at, s.state_changed_at)) * 1000
            AS idle_for_ms,
          EXTRACT(EPOCH FROM NOW() - s.created_at) * 1000 AS age_ms
        FROM sessions s LEFT JOIN templates t ON t.id = s.template_id
        -- Unclaimed warm-pool sessions wait for a user, not for input: their clocks start at the claim.
        WHERE s.state IN ('running', 'hibernated') AND NOT s.warm_pool
      ) c
      WHERE (c.life_ms > 0 AND c.age_ms >= c.life_ms)
         OR (c.state = 'running' AND c.idle_ms > 0
             AND c.idle_for_ms >= GREATEST(c.idle_ms - ${IDLE_WARNING_MS}, c.idle_ms / 2))
    `.execute(this.o.db);
    return result.rows.map((row) => ({
      ...row,
      idle_ms: Number(row.idle_ms),
      life_ms: Number(row.life_ms),
      idle_for_ms: Number(row.idle_for_ms),
      age_ms: Number(row.age_ms),
    }));
  }

  async #templatesHaveOverrides(): Promise<boolean> {
    const result = await sql<{ n: string }>`
      SELECT COUNT(*) AS n FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'templates'
        AND column_name IN ('idle_timeout_s', 'max_lifetime_s')
    `.execute(this.o.db);
    return Number(result.rows[0]?.n ?? 0) === 2;
  }
}
