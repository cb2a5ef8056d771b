import { createHash, randomBytes } from 'node:crypto';
import { formatLifetime, parseLifetime } from '../config/settings.js';

/**
 * Personal API tokens look like `ssp_<43 base64url characters>`: the prefix tells them apart from
 * login JWTs (which start `eyJ`) and lets secret scanners find leaked ones; 32 random bytes make a
 * plain SHA-256 safe to store (nothing to brute-force, unlike a password).
 */
export const API_TOKEN_PREFIX = 'ssp_';
/** What `newApiToken` makes; anything else is not looked up. */
export const API_TOKEN_SHAPE = /^ssp_[A-Za-z0-9_-]{43}$/;

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
