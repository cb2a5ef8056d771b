import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Schema } from '../db/schema.js';
import { findApiTokenLogin, touchApiToken } from '../db/queries/api-tokens.js';
import { formatLifetime, parseLifetime } from '../config/settings.js';
import { UnauthorizedError } from '../errors.js';
import type { AuthenticatedUser } from './authenticate.js';

/**
 * Personal API tokens look like `ssp_<43 base64url characters>`: the prefix tells them apart from
 * login JWTs (which start `eyJ`) and lets secret scanners find leaked ones; 32 random bytes make a
 * plain SHA-256 safe to store (nothing to brute-force, unlike a password).
 */
export const API_TOKEN_PREFIX = 'ssp_';
const TOKEN_SHAPE = /^ssp_[A-Za-z0-9_-]{43}$/;

/** A use is written at most this often per token, so scripts' requests do not each write a row. */
export const LAST_USE_EVERY_SECONDS = 60;

/** What a token gets when the request names no lifetime. */
export const DEFAULT_API_TOKEN_LIFETIME_MS = 90 * 86_400_000;
const MIN_LIFETIME_MS = 60_000;

export const isApiToken = (bearer: string) => bearer.startsWith(API_TOKEN_PREFIX);

export function newApiToken(): { token: string; hash: string; hint: string } {
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashApiToken(token), hint: token.slice(0, API_TOKEN_PREFIX.length + 4) };
}

export const hashApiToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * `expires_in` as a request gives it: seconds, or a duration (`90d`, `12h`, `30m`). Tokens always
 * expire: "never" is refused, and so is anything above the configured maximum.
 */
export function apiTokenLifetime(
  expiresIn: string | number | undefined,
  maxMs: number,
): { ok: true; ms: number } | { ok: false; message: string } {
  const limit = `at most ${formatLifetime(maxMs)} (API_TOKEN_MAX_LIFETIME)`;
  if (expiresIn === undefined) return { ok: true, ms: Math.min(DEFAULT_API_TOKEN_LIFETIME_MS, maxMs) };
  const ms = typeof expiresIn === 'number' ? expiresIn * 1000 : parseLifetime(expiresIn);
  if (ms === undefined) {
    return {
      ok: false,
      message: `expires_in: expected seconds or a duration like 30d, 12h or 30m, got ${JSON.stringify(expiresIn)}; API tokens always expire, ${limit}`,
    };
  }
  if (ms < MIN_LIFETIME_MS) return { ok: false, message: `expires_in: must be at least 1m (60 seconds)` };
  if (ms > maxMs) {
    return { ok: false, message: `expires_in: ${formatLifetime(ms)} is too long; API tokens live ${limit}` };
  }
  return { ok: true, ms };
}

const CREATE_NEW = 'create a new one on the Account page or with POST /api/v1/users/me/tokens';

/**
 * Turns an `ssp_` bearer into the caller: the token must exist, be unrevoked and unexpired, and its
 * owner enabled. The role is the owner's current one. Logout and password changes (token_version)
 * end logins, not API tokens: a script should not break because its owner logged out of a browser;
 * disabling the owner revokes them (migration 0015's trigger).
 */
export class ApiTokenAuth {
  constructor(private readonly db: Kysely<Schema>) {}

  async authenticate(bearer: string, ip: string, log: FastifyBaseLogger): Promise<AuthenticatedUser> {
    const row = TOKEN_SHAPE.test(bearer) ? await findApiTokenLogin(this.db, hashApiToken(bearer)) : undefined;
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
    if (row.disabled) return refuse('disabled', 'This account is disabled; ask an administrator');
    const lastUse = row.last_used_at?.getTime() ?? 0;
    if (Date.now() - lastUse >= LAST_USE_EVERY_SECONDS * 1000) {
      await touchApiToken(this.db, row.id, ip, LAST_USE_EVERY_SECONDS);
    }
    return {
      userId: row.user_id,
      username: row.username,
      role: row.role,
      apiTokenId: row.id,
      // Streams opened with the token (SSE, VNC) end when it expires or the owner's logins are revoked.
      grant: { userId: row.user_id, tokenVersion: row.token_version, expiresAt: row.expires_at },
    };
  }
}
