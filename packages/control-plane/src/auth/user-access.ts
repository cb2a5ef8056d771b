import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.js';
import type { Database, Unlisten } from '../db/database.js';
import { findUserStates, type UserState } from '../db/queries/users.js';
import { CLOCK_TOLERANCE_SECONDS, type TokenClaims } from './tokens.js';

export const USERS_CHANNEL = 'streamspace_users';
/**
 * How long a user's row is trusted without reading it again. The bound on how long a revoked token
 * still works on a replica whose NOTIFY got lost; the NOTIFY (migration 0009's trigger) normally
 * ends it at once.
 */
export const USER_CACHE_TTL_MS = 2_000;

/** A login: who, the token version it was issued under, when it expires. */
export interface Grant {
  userId: string;
  tokenVersion: number;
  expiresAt: Date;
  /**
   * Set when the caller used an API token (its SHA-256): the token's own revocation ends its
   * streams (ApiTokenAuth calls `endApiTokenWatches`), and a logout, which ends logins, does not.
   */
  apiTokenHash?: string;
}

export type GrantCheck =
  | {
      ok: true;
      user: TokenClaims;
      /** TOTP on, or single sign-on (the provider owns the second factor). */ mfaEnabled: boolean;
    }
  | { ok: false; reason: 'expired' | 'revoked' | 'disabled' | 'unknown'; message: string };

interface Entry {
  at: number;
  state: Promise<UserState | undefined>;
}

interface Watch {
  grant: Grant;
  onEnd: (check: Extract<GrantCheck, { ok: false }>) => void;
  timer: NodeJS.Timeout;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Whether a login is still good, from the user's current row: disabled users, revoked token
 * versions and expired tokens are refused, and the role is the database's, not the token's. Rows are
 * cached per replica for at most USER_CACHE_TTL_MS (concurrent lookups share one query) and dropped
 * on the users NOTIFY. Long-lived streams (SSE, VNC) `watch` their login and are ended when it is
 * revoked or expires: at once on NOTIFY, at worst one sweep (USER_CACHE_TTL_MS) later.
 */
export class UserAccess {
  readonly #cache = new Map<string, Entry>();
  readonly #watches = new Map<string, Set<Watch>>();
  #sweeper: NodeJS.Timeout | undefined;
  #unlisten: Unlisten | undefined;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly logger: Logger,
    private readonly ttlMs = USER_CACHE_TTL_MS,
  ) {}

  async start(database: Database) {
    this.#unlisten = await database.listen(
      USERS_CHANNEL,
      (userId) => this.changed(userId),
      // Notifications sent while the listener was away are lost: trust nothing cached.
      () => {
        this.#cache.clear();
        void this.#sweep();
      },
    );
    this.#sweeper = setInterval(() => void this.#sweep(), this.ttlMs);
    this.#sweeper.unref();
  }

  async stop() {
    clearInterval(this.#sweeper);
    await this.#unlisten?.().catch(() => undefined);
    for (const watches of this.#watches.values()) for (const w of watches) clearTimeout(w.timer);
    this.#watches.clear();
  }

  /** The user's row changed (here, or on another replica through NOTIFY): re-read and re-check. */
  changed(userId: string) {
    this.#cache.delete(userId);
    if (this.#watches.has(userId)) void this.#recheck([userId]);
  }

  async check(grant: Grant): Promise<GrantCheck> {
    return judge(grant, await this.#lookup(grant.userId));
  }

  /** The user's row as logins are checked against it (cached like `check`). */
  state(userId: string): Promise<UserState | undefined> {
    return this.#lookup(userId);
  }

  /** Calls `onEnd` once when the login is revoked or expires; returns a function that stops watching. */
  watch(grant: Grant, onEnd: Watch['onEnd']): () => void {
    const watch: Watch = {
      grant,
      onEnd,
      timer: setTimeout(
        () => void this.#recheck([grant.userId]),
        Math.min(
          MAX_TIMER_MS,
          Math.max(0, grant.expiresAt.getTime() + CLOCK_TOLERANCE_SECONDS * 1000 - Date.now()) + 10,
        ),
      ),
    };
    let set = this.#watches.get(grant.userId);
    if (!set) this.#watches.set(grant.userId, (set = new Set()));
    set.add(watch);
    return () => this.#unwatch(watch);
  }

  /** API tokens that open streams were opened with (ApiTokenAuth re-checks them after a lost NOTIFY). */
  watchedApiTokens(): Set<string> {
    const hashes = new Set<string>();
    for (const set of this.#watches.values())
      for (const w of set) if (w.grant.apiTokenHash) hashes.add(w.grant.apiTokenHash);
    return hashes;
  }

  /** The API token was revoked, expired or deleted: end every stream opened with it, saying why. */
  endApiTokenWatches(apiTokenHash: string, message: string) {
    for (const set of [...this.#watches.values()])
      for (const watch of [...set]) {
        if (watch.grant.apiTokenHash !== apiTokenHash) continue;
        this.#unwatch(watch);
        watch.onEnd({ ok: false, reason: 'revoked', message });
      }
  }

  #unwatch(watch: Watch) {
    clearTimeout(watch.timer);
    const set = this.#watches.get(watch.grant.userId);
    set?.delete(watch);
    if (set?.size === 0) this.#watches.delete(watch.grant.userId);
  }

  #lookup(userId: string): Promise<UserState | undefined> {
    const cached = this.#cache.get(userId);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.state;
    const state = findUserStates(this.db, [userId]).then((rows) => rows[0]);
    const entry = { at: Date.now(), state };
    this.#cache.set(userId, entry);
    // A failed read is not cached: the next request tries the database again.
    state.catch(() => this.#cache.get(userId) === entry && this.#cache.delete(userId));
    return state;
  }

  /** Every watched user's row, in one query; ends the watches whose login no longer holds. */
  async #sweep() {
    const stale = [...this.#watches.keys()].filter((id) => {
      const cached = this.#cache.get(id);
      return !cached || Date.now() - cached.at >= this.ttlMs;
    });
    if (stale.length > 0) await this.#recheck(stale);
  }

  async #recheck(userIds: string[]) {
    try {
      const rows = await findUserStates(this.db, userIds);
      const byId = new Map(rows.map((row) => [row.id, row]));
      const now = Date.now();
      for (const id of userIds) {
        const state = byId.get(id);
        this.#cache.set(id, { at: now, state: Promise.resolve(state) });
        for (const watch of [...(this.#watches.get(id) ?? [])]) {
          const verdict = judge(watch.grant, state);
          if (!verdict.ok) {
            this.#unwatch(watch);
            watch.onEnd(verdict);
          }
        }
      }
    } catch (error) {
      // The database is away; the next sweep tries again (streams stay open meanwhile).
      this.logger.warn({ err: error }, 'could not re-check logins of open streams');
    }
  }
}

/** Expiry as the API applies it: with the same clock-skew allowance as token verification. */
/**
 * Whether MFA_REQUIRED is met: TOTP on here, or single sign-on, whose users prove their second
 * factor to their identity provider under its policy (TOTP here would be asked at no login: SSO
 * never reaches the password step).
 */
export const secondFactorInPlace = (user: UserState) => user.mfa_enabled || user.single_sign_on;

const expired = (grant: Grant) => grant.expiresAt.getTime() + CLOCK_TOLERANCE_SECONDS * 1000 <= Date.now();

function judge(grant: Grant, user: UserState | undefined): GrantCheck {
  if (expired(grant)) {
    return { ok: false, reason: 'expired', message: 'Token expired: log in again with POST /api/v1/auth/login' };
  }
  if (!user) return { ok: false, reason: 'unknown', message: 'This account no longer exists' };
  if (user.disabled) {
    return { ok: false, reason: 'disabled', message: 'This account is disabled; ask an administrator' };
  }
  // An API token is not a login: logging out does not end it (its own revocation does).
  if (!grant.apiTokenHash && user.token_version !== grant.tokenVersion) {
    return {
      ok: false,
      reason: 'revoked',
      message:
        'Token revoked (logged out, password changed, role lowered or account re-enabled): log in again with POST /api/v1/auth/login',
    };
  }
  return {
    ok: true,
    user: { userId: user.id, username: user.username, role: user.role },
    mfaEnabled: secondFactorInPlace(user),
  };
}
