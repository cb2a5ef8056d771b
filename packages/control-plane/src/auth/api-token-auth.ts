import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import type { ApiToken, Schema } from '../db/schema.js';
import type { Database, Unlisten } from '../db/database.js';
import { findApiTokenByHash, touchApiToken } from '../db/queries/api-tokens.js';
import { UnauthorizedError } from '../errors.js';
import type { AuthenticatedUser } from './authenticate.js';
import { API_TOKEN_SHAPE, hashApiToken } from './api-tokens.js';
import { USER_CACHE_TTL_MS, type UserAccess } from './user-access.js';

export const API_TOKENS_CHANNEL = 'streamspace_api_tokens';
/** A use is written at most this often per token, so scripts' requests do not each write a row. */
export const LAST_USE_EVERY_SECONDS = 60;
/** Beyond this many cached tokens the cache starts over (it holds found tokens only). */
const MAX_CACHED = 10_000;
const CREATE_NEW = 'create a new one on the Account page or with POST /api/v1/users/me/tokens';

/**
 * Turns an `ssp_` bearer into the caller: the token must exist, be unrevoked and unexpired, and its
 * owner exist and be enabled; the role is the owner's current one (from UserAccess, as for logins).
 * Logout and password changes (token_version) end logins, not API tokens: a script should not break
 * because its owner logged out of a browser; disabling the owner revokes them (migration 0015).
 *
 * Token rows are cached per replica for at most USER_CACHE_TTL_MS and dropped at once on revocation:
 * here by `forget`, on other replicas by migration 0015's NOTIFY. Measured on PGlite, 20 concurrent
 * GET /api/v1/templates: 5.7 ms a request with a lookup each time, 1.9 ms cached (login tokens 2.0).
 */
export class ApiTokenAuth {
  readonly #cache = new Map<string, { at: number; row: Promise<ApiToken | undefined> }>();
  #unlisten: Unlisten | undefined;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly access: UserAccess,
    private readonly log: Pick<Logger, 'warn'>,
    private readonly ttlMs = USER_CACHE_TTL_MS,
  ) {}

  async start(database: Database) {
    this.#unlisten = await database.listen(
      API_TOKENS_CHANNEL,
      (hash) => this.forget(hash),
      // Notifications sent while the listener was away are lost: re-check every token a stream holds.
      () => {
        this.#cache.clear();
        void this.#endStreamsOfDeadTokens([...this.access.watchedApiTokens()]);
      },
    );
  }

  async stop() {
    await this.#unlisten?.().catch(() => undefined);
  }

  /**
   * The token changed (revoked here, or on any replica through the NOTIFY): stop trusting the
   * cached row, and end the live-update and VNC streams opened with it if it no longer holds.
   */
  forget(tokenHash: string) {
    this.#cache.delete(tokenHash);
    if (this.access.watchedApiTokens().has(tokenHash)) void this.#endStreamsOfDeadTokens([tokenHash]);
  }

  async #endStreamsOfDeadTokens(hashes: string[]) {
    for (const hash of hashes) {
      try {
        const row = await findApiTokenByHash(this.db, hash);
        if (!row) this.access.endApiTokenWatches(hash, `API token deleted: ${CREATE_NEW}`);
        else if (row.revoked_at)
          this.access.endApiTokenWatches(hash, `API token "${row.name}" was revoked: ${CREATE_NEW}`);
      } catch (error) {
        // The database is away: the streams stay open until the next change or reconnect.
        this.log.warn({ err: error }, 'could not re-check the API token of open streams');
      }
    }
  }

  async authenticate(bearer: string, ip: string, log: FastifyBaseLogger): Promise<AuthenticatedUser> {
    const row = API_TOKEN_SHAPE.test(bearer) ? await this.#lookup(hashApiToken(bearer)) : undefined;
    const refuse = (reason: string, message: string): never => {
      log.info({ reason, apiTokenId: row?.id, userId: row?.user_id }, 'rejected API token');
      throw new UnauthorizedError(message);
    };
    if (!row) return refuse('unknown', `API token not recognised (mistyped, or its user was deleted): ${CREATE_NEW}`);
    if (row.revoked_at) {
      return refuse(
        'revoked',
        `API token "${row.name}" was revoked at ${row.revoked_at.toISOString()} (${row.revoked_by ?? 'revoked'}): ${CREATE_NEW}`,
      );
    }
    if (row.expires_at.getTime() <= Date.now()) {
      return refuse('expired', `API token "${row.name}" expired at ${row.expires_at.toISOString()}: ${CREATE_NEW}`);
    }
    const owner = await this.access.state(row.user_id);
    if (!owner) return refuse('unknown', `API token not recognised (its user was deleted): ${CREATE_NEW}`);
    if (owner.disabled) return refuse('disabled', 'This account is disabled; ask an administrator');
    if (Date.now() - (row.last_used_at?.getTime() ?? 0) >= LAST_USE_EVERY_SECONDS * 1000) {
      await touchApiToken(this.db, row.id, ip, LAST_USE_EVERY_SECONDS);
      row.last_used_at = new Date();
    }
    return {
      userId: owner.id,
      username: owner.username,
      role: owner.role,
      apiTokenId: row.id,
      // Streams opened with the token (SSE, VNC) end when it is revoked or expires, or its owner is disabled.
      grant: {
        userId: owner.id,
        tokenVersion: owner.token_version,
        expiresAt: row.expires_at,
        apiTokenHash: row.token_hash,
      },
    };
  }

  #lookup(tokenHash: string): Promise<ApiToken | undefined> {
    const cached = this.#cache.get(tokenHash);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.row;
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    const row = findApiTokenByHash(this.db, tokenHash);
    const entry = { at: Date.now(), row };
    this.#cache.set(tokenHash, entry);
    // Misses and failed reads are not kept: random guesses must not fill the cache.
    const drop = () => this.#cache.get(tokenHash) === entry && this.#cache.delete(tokenHash);
    row.then((found) => found ?? drop(), drop);
    return row;
  }
}
